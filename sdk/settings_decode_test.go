package sdk_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

type sampleSettings struct {
	Digits   int               `json:"digits"`
	TTL      sdk.Duration      `json:"code_ttl"`
	URL      string            `json:"url"`
	Verbose  bool              `json:"verbose"`
	Headers  map[string]string `json:"headers"`
	Untagged int
}

func (s *sampleSettings) Validate() error {
	if s.Digits < 6 {
		return errors.New(`"digits" must be at least 6`)
	}
	return nil
}

func TestDecodeSettings(t *testing.T) {
	defaults := sampleSettings{Digits: 6, TTL: sdk.Duration(5 * time.Minute)}
	tests := []struct {
		name    string
		raw     string
		want    sampleSettings
		wantErr string
	}{
		{name: "empty input keeps the defaults", raw: ``, want: defaults},
		{name: "null keeps the defaults", raw: `null`, want: defaults},
		{name: "empty object keeps the defaults", raw: `{}`, want: defaults},
		{name: "every key", raw: `{"digits":8,"code_ttl":"90s","url":"https://x.example","verbose":true,"headers":{"a":"b"}}`,
			want: sampleSettings{Digits: 8, TTL: sdk.Duration(90 * time.Second), URL: "https://x.example", Verbose: true, Headers: map[string]string{"a": "b"}}},
		{name: "unknown key", raw: `{"digitz":8}`, wantErr: `unknown setting "digitz" (known: code_ttl, digits, headers, url, verbose)`},
		{name: "untagged field takes no setting", raw: `{"Untagged":1}`, wantErr: `unknown setting "Untagged"`},
		{name: "null value", raw: `{"digits":null}`, wantErr: `setting "digits": null is not a value`},
		{name: "fraction", raw: `{"digits":6.5}`, wantErr: `setting "digits": must be an integer`},
		{name: "string for a bool", raw: `{"verbose":"yes"}`, wantErr: `setting "verbose": must be true or false`},
		{name: "number for a string", raw: `{"url":5}`, wantErr: `setting "url": must be a string`},
		{name: "bad duration", raw: `{"code_ttl":"five minutes"}`, wantErr: `setting "code_ttl": must be a duration such as "30s"`},
		{name: "list for a map", raw: `{"headers":[1]}`, wantErr: `setting "headers": must be an object`},
		{name: "not an object", raw: `[1]`, wantErr: `settings must be a JSON object`},
		{name: "Validate refuses", raw: `{"digits":4}`, wantErr: `"digits" must be at least 6`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaults
			err := sdk.DecodeSettings(json.RawMessage(tc.raw), &got)
			if tc.wantErr != "" {
				if !errors.Is(err, sdk.ErrInvalidSettings) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want ErrInvalidSettings saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeSettings: %v", err)
			}
			if got.Digits != tc.want.Digits || got.TTL != tc.want.TTL || got.URL != tc.want.URL || got.Verbose != tc.want.Verbose || len(got.Headers) != len(tc.want.Headers) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeSettingsNeedsAStructPointer(t *testing.T) {
	var s sampleSettings
	for _, dst := range []any{nil, s, new(int)} {
		if err := sdk.DecodeSettings(json.RawMessage(`{}`), dst); !errors.Is(err, sdk.ErrInvalidSettings) {
			t.Errorf("DecodeSettings(%T): err %v, want ErrInvalidSettings", dst, err)
		}
	}
}

func TestDecodeSettingsKeepsSecretsOutOfErrors(t *testing.T) {
	var s struct {
		Token int `json:"token"`
	}
	err := sdk.DecodeSettings(json.RawMessage(`{"token":"s3cr3t-value"}`), &s)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("err %v: want an error that does not repeat the value", err)
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(sdk.Duration(90 * time.Second))
	if err != nil || string(b) != `"1m30s"` {
		t.Errorf("Marshal = %s, %v; want \"1m30s\"", b, err)
	}
}
