package httpx

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadBody(t *testing.T) {
	const limit = 8
	for _, tc := range []struct {
		name    string
		body    io.Reader
		want    string
		tooBig  bool
		wantErr bool
	}{
		{name: "empty", body: http.NoBody},
		{name: "nil", body: nil},
		{name: "under the limit", body: strings.NewReader("1234567"), want: "1234567"},
		{name: "at the limit", body: strings.NewReader("12345678"), want: "12345678"},
		{name: "over the limit", body: strings.NewReader("123456789"), tooBig: true},
		{name: "over the limit without a length", body: io.MultiReader(bytes.NewReader(make([]byte, 100))), tooBig: true},
		{name: "read failure", body: io.MultiReader(strings.NewReader("12"), errReader{}), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tc.body)
			if tc.body == nil {
				r.Body = nil
			}
			got, err := ReadBody(httptest.NewRecorder(), r, limit)
			switch {
			case tc.tooBig:
				if !errors.Is(err, ErrBodyTooLarge) {
					t.Fatalf("ReadBody = %q, %v; want ErrBodyTooLarge", got, err)
				}
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrBodyTooLarge) || !errors.Is(err, errRead) {
					t.Fatalf("ReadBody = %q, %v; want the read failure", got, err)
				}
			case err != nil || string(got) != tc.want:
				t.Fatalf("ReadBody = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

var errRead = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want int
	}{
		{-time.Second, 1},
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{30 * time.Second, 30},
		{30*time.Second + time.Millisecond, 31},
		{time.Duration(math.MaxInt64), math.MaxInt32},
	} {
		if got := RetryAfterSeconds(tc.wait); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tc.wait, got, tc.want)
		}
	}
	if got := RetryAfter(1500 * time.Millisecond); got != "2" {
		t.Errorf("RetryAfter(1.5s) = %q, want 2", got)
	}
}
