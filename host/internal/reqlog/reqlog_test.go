package reqlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type seen struct {
	method, route string
	status        int
	d             time.Duration
}

type fakeObserver struct{ got []seen }

func (o *fakeObserver) HTTPRequest(method, route string, status int, d time.Duration) {
	o.got = append(o.got, seen{method, route, status, d})
}

// steppingClock advances by step at every reading.
func steppingClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/users/{user}", func(w http.ResponseWriter, r *http.Request) {
		SetUser(r.Context(), r.PathValue("user"))
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("POST /v1/secret", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	for _, tc := range []struct {
		name, method, target, sentID string
		wantRoute, wantUser          string
		wantStatus                   int
		echoed                       bool
	}{
		{name: "route template and user", method: "GET", target: "/v1/users/u-123", sentID: "abc-123", wantRoute: "/v1/users/{user}", wantUser: "u-123", wantStatus: 418, echoed: true},
		{name: "no id sent", method: "POST", target: "/v1/secret?code=123456", wantRoute: "/v1/secret", wantStatus: 200},
		{name: "id with spaces replaced", method: "POST", target: "/v1/secret", sentID: "a b", wantRoute: "/v1/secret", wantStatus: 200},
		{name: "id too long replaced", method: "POST", target: "/v1/secret", sentID: strings.Repeat("x", 129), wantRoute: "/v1/secret", wantStatus: 200},
		{name: "unmatched", method: "GET", target: "/nowhere", wantRoute: "unmatched", wantStatus: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			obs := &fakeObserver{}
			h := Handler(mux, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Observer: obs, Now: steppingClock(5 * time.Millisecond)})
			req := httptest.NewRequest(tc.method, tc.target, nil)
			if tc.sentID != "" {
				req.Header.Set(Header, tc.sentID)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			id := rec.Header().Get(Header)
			if tc.echoed != (id == tc.sentID) || id == "" {
				t.Fatalf("request id %q, sent %q (echo wanted: %v)", id, tc.sentID, tc.echoed)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log line %q: %v", logs.String(), err)
			}
			if line["level"] != "INFO" || line["route"] != tc.wantRoute || line["status"] != float64(tc.wantStatus) ||
				line["request_id"] != id || line["method"] != tc.method || line["duration"] != float64(5*time.Millisecond) {
				t.Fatalf("log line %v", line)
			}
			if got, _ := line["user"].(string); got != tc.wantUser {
				t.Fatalf("user %q, want %q", got, tc.wantUser)
			}
			if strings.Contains(logs.String(), "123456") {
				t.Fatalf("the query string was logged: %s", logs.String())
			}
			want := seen{tc.method, tc.wantRoute, tc.wantStatus, 5 * time.Millisecond}
			if len(obs.got) != 1 || obs.got[0] != want {
				t.Fatalf("observed %v, want %v", obs.got, want)
			}
		})
	}
}

func TestRecorderFlushes(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Fatal("the wrapped writer is not a Flusher")
		}
		_, _ = w.Write([]byte("x"))
		f.Flush()
	}), Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !rec.Flushed || rec.Body.String() != "x" {
		t.Fatalf("flushed %v, body %q", rec.Flushed, rec.Body.String())
	}
}
