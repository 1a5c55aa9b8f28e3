package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

func TestPostJSON(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		wantErr       bool
		wantTemporary bool
	}{
		{"accepted", http.StatusAccepted, false, false},
		{"ok", http.StatusOK, false, false},
		{"rate limited", http.StatusTooManyRequests, true, true},
		{"gateway broken", http.StatusBadGateway, true, true},
		{"refused", http.StatusBadRequest, true, false},
		{"redirect not followed", http.StatusFound, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				auth, contentType string
				body              map[string]string
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.auth, got.contentType = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
				if err := json.NewDecoder(r.Body).Decode(&got.body); err != nil {
					t.Errorf("gateway: body: %v", err)
				}
				if tc.status == http.StatusFound {
					w.Header().Set("Location", "https://elsewhere.example/")
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			err := sdk.PostJSON(context.Background(), nil, srv.URL+"/secret-path", http.Header{"authorization": {"Bearer t"}}, map[string]string{"code": "123456"})
			if (err != nil) != tc.wantErr || errors.Is(err, sdk.ErrTemporary) != tc.wantTemporary {
				t.Errorf("err %v: want error %v, temporary %v", err, tc.wantErr, tc.wantTemporary)
			}
			if got.auth != "Bearer t" || got.contentType != "application/json" || got.body["code"] != "123456" {
				t.Errorf("gateway received %+v", got)
			}
			if err != nil && (strings.Contains(err.Error(), "secret-path") || strings.Contains(err.Error(), "123456")) {
				t.Errorf("err %q repeats the URL or the body", err)
			}
		})
	}
}

func TestPostJSONUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/secret-path"
	srv.Close()
	err := sdk.PostJSON(context.Background(), nil, url, nil, map[string]string{})
	if !errors.Is(err, sdk.ErrTemporary) || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("err %v: want ErrTemporary without the URL", err)
	}
}
