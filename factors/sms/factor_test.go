package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		wantTTL  time.Duration
	}{
		{"defaults", `{"allow_log_sender":true}`, 5 * time.Minute},
		{"code TTL 2m", `{"code_ttl":"2m","allow_log_sender":true}`, 2 * time.Minute},
		{"code TTL 10m", `{"code_ttl":"10m","allow_log_sender":true}`, 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configure(t, New(quiet()), nil, tc.settings)
			d := f.Describe()
			if d.Name != "sms" || d.DisplayName != "Text message" || !slices.Equal(d.AMR, []string{"sms"}) || d.Version == "" {
				t.Fatalf("description %+v", d)
			}
			if d.EnrollmentTTL != tc.wantTTL {
				t.Fatalf("EnrollmentTTL = %v, want %v", d.EnrollmentTTL, tc.wantTTL)
			}
			caps := sdk.CapabilitiesOf(f)
			want := []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge, sdk.CapabilityConfigure, sdk.CapabilityDestination}
			if !slices.Equal(caps, want) {
				t.Fatalf("capabilities %v, want %v", caps, want)
			}
		})
	}
}

func TestConfigureValid(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tests := []struct {
		name     string
		settings string
		check    func(t *testing.T, f *Factor)
	}{
		{"defaults, the log sender allowed", `{"allow_log_sender":true}`, func(t *testing.T, f *Factor) {
			if f.settings.digits != 6 || f.settings.codeTTL != 5*time.Minute || f.settings.maxAttempts != 3 ||
				f.settings.resendInterval != 30*time.Second || f.settings.issuer != "Factorgate" || f.sender.kind() != "log" {
				t.Fatalf("defaults: %+v, sender %s", f.settings, f.sender.kind())
			}
		}},
		{"every top-level key", `{"digits":8,"code_ttl":"10m","max_attempts":5,"resend_interval":"1m","issuer":"Acme","message":"{{.Code}} is your {{.Issuer}} code, valid {{.Minutes}} min","sender":{"type":"log"},"allow_log_sender":true,"allowed_regions":["AU"," nz"]}`,
			func(t *testing.T, f *Factor) {
				s := f.settings
				if s.digits != 8 || s.codeTTL != 10*time.Minute || s.maxAttempts != 5 || s.resendInterval != time.Minute || s.issuer != "Acme" ||
					!s.allowLogSender || !slices.Equal(s.allowedRegions, []string{"AU", "NZ"}) {
					t.Fatalf("settings %+v", s)
				}
				msg, err := renderMessage(s.message, messageData{Issuer: s.issuer, Code: "12345678", Minutes: 10})
				if err != nil || msg != "12345678 is your Acme code, valid 10 min" {
					t.Fatalf("message %q, %v", msg, err)
				}
			}},
		{"bounds low", `{"digits":6,"code_ttl":"1m","max_attempts":1,"resend_interval":"10s","allow_log_sender":true}`, func(t *testing.T, f *Factor) {
			if f.settings.maxAttempts != 1 || f.settings.codeTTL != time.Minute {
				t.Fatalf("settings %+v", f.settings)
			}
		}},
		{"bounds high", `{"digits":10,"code_ttl":"10m","max_attempts":10,"resend_interval":"1h","allow_log_sender":true}`, func(t *testing.T, f *Factor) {
			if f.settings.digits != 10 || f.settings.resendInterval != time.Hour {
				t.Fatalf("settings %+v", f.settings)
			}
		}},
		{"webhook with every key", `{"sender":{"type":"webhook","url":"https://relay.example/sms?token=abc","header_name":"authorization","header_value":"Bearer abc","instance":"sms-7","timeout":"10s","max_retries":0}}`,
			func(t *testing.T, f *Factor) {
				w, ok := f.sender.(*webhookSender)
				if !ok {
					t.Fatalf("sender %T", f.sender)
				}
				if w.url != "https://relay.example/sms?token=abc" || w.headerName != "Authorization" || w.headerValue != "Bearer abc" ||
					w.instance != "sms-7" || w.timeout != 10*time.Second || w.maxRetries != 0 || w.endpoint != "https://relay.example/sms" {
					t.Fatalf("webhook %+v", w)
				}
			}},
		{"webhook defaults", `{"sender":{"type":"webhook","url":"https://relay.example/sms"}}`, func(t *testing.T, f *Factor) {
			w := f.sender.(*webhookSender)
			if w.instance != "sms" || w.timeout != 5*time.Second || w.maxRetries != 2 || w.headerName != "" {
				t.Fatalf("webhook %+v", w)
			}
		}},
		{"webhook over http when allowed", `{"sender":{"type":"webhook","url":"http://127.0.0.1:9/sms","allow_insecure_http":true}}`, func(t *testing.T, f *Factor) {
			if f.sender.(*webhookSender).url != "http://127.0.0.1:9/sms" {
				t.Fatal("url not kept")
			}
		}},
		{"twilio with a number", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"+14155552671"}}`, func(t *testing.T, f *Factor) {
			tw := f.sender.(*twilioSender)
			if tw.url != "https://api.twilio.com/2010-04-01/Accounts/"+sid+"/Messages.json" || tw.from != "+14155552671" || tw.maxRetries != 2 {
				t.Fatalf("twilio %+v", tw)
			}
		}},
		{"twilio with a messaging service and a base URL", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"MG0123456789abcdef0123456789abcdef","base_url":"http://127.0.0.1:9/twilio/","allow_insecure_http":true,"timeout":"2s","max_retries":5}}`,
			func(t *testing.T, f *Factor) {
				tw := f.sender.(*twilioSender)
				if tw.url != "http://127.0.0.1:9/twilio/2010-04-01/Accounts/"+sid+"/Messages.json" || tw.timeout != 2*time.Second || tw.maxRetries != 5 {
					t.Fatalf("twilio %+v", tw)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(quiet()).Configure(context.Background(), json.RawMessage(tc.settings))
			if err != nil {
				t.Fatalf("Configure: %v", err)
			}
			tc.check(t, f.(*Factor))
		})
	}
}

func TestConfigureInvalid(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	twilio := func(extra string) string {
		return `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"+14155552671"` + extra + `}}`
	}
	tests := []struct {
		name     string
		settings string
		wantKey  string // the key the error names
	}{
		{"not an object", `[1]`, "settings"},
		{"a string", `"digits"`, "settings"},
		{"broken JSON", `{"digits":`, "settings"},
		{"unknown key", `{"digit":6}`, `"digit"`},
		{"unknown key with case", `{"Digits":6}`, `"Digits"`},
		{"digits 5", `{"digits":5}`, `"digits"`},
		{"digits 11", `{"digits":11}`, `"digits"`},
		{"digits as string", `{"digits":"6"}`, `"digits"`},
		{"digits fractional", `{"digits":6.5}`, `"digits"`},
		{"digits null", `{"digits":null}`, `"digits"`},
		{"code TTL 11m", `{"code_ttl":"11m"}`, `"code_ttl"`},
		{"code TTL 30s", `{"code_ttl":"30s"}`, `"code_ttl"`},
		{"code TTL number", `{"code_ttl":300}`, `"code_ttl"`},
		{"code TTL not a duration", `{"code_ttl":"five minutes"}`, `"code_ttl"`},
		{"max attempts 0", `{"max_attempts":0}`, `"max_attempts"`},
		{"max attempts 11", `{"max_attempts":11}`, `"max_attempts"`},
		{"resend interval 5s", `{"resend_interval":"5s"}`, `"resend_interval"`},
		{"resend interval 2h", `{"resend_interval":"2h"}`, `"resend_interval"`},
		{"resend interval negative", `{"resend_interval":"-30s"}`, `"resend_interval"`},
		{"issuer empty", `{"issuer":" "}`, `"issuer"`},
		{"issuer too long", `{"issuer":"` + strings.Repeat("a", 65) + `"}`, `"issuer"`},
		{"issuer control character", `{"issuer":"Acme\u0007"}`, `"issuer"`},
		{"issuer invalid UTF-8", "{\"issuer\":\"Acme\xff\"}", `"issuer"`},
		{"message without code", `{"message":"Your {{.Issuer}} code"}`, `"message"`},
		{"message with a function", `{"message":"{{printf \"%s\" .Code}}"}`, `"message"`},
		{"message with a loop", `{"message":"{{range 1000000000}}x{{end}}{{.Code}}"}`, `"message"`},
		{"message with a condition", `{"message":"{{if .Code}}{{.Code}}{{end}}"}`, `"message"`},
		{"message with an unknown field", `{"message":"{{.Code}} {{.Phone}}"}`, `"message"`},
		{"message that does not parse", `{"message":"{{.Code"}`, `"message"`},
		{"message too long when rendered", `{"message":"{{.Code}}` + strings.Repeat("x", 455) + `"}`, `"message"`},
		{"message with issuer too long when rendered", `{"issuer":"` + strings.Repeat("i", 64) + `","message":"{{.Code}}` + strings.Repeat("{{.Issuer}}", 8) + `"}`, `"message"`},
		{"sender null", `{"sender":null}`, `"sender"`},
		{"no input: the log sender is refused", ``, `"allow_log_sender"`},
		{"null: the log sender is refused", `null`, `"allow_log_sender"`},
		{"the default log sender is refused", `{"digits":8}`, `"allow_log_sender"`},
		{"the log sender named is refused", `{"sender":{"type":"log"}}`, `"allow_log_sender"`},
		{"the log sender allowed by false", `{"sender":{"type":"log"},"allow_log_sender":false}`, `"allow_log_sender"`},
		{"allow_log_sender a string", `{"allow_log_sender":"yes"}`, `"allow_log_sender"`},
		{"allowed_regions a string", `{"allowed_regions":"AU"}`, `"allowed_regions"`},
		{"allowed_regions empty", `{"allowed_regions":[]}`, `"allowed_regions"`},
		{"allowed_regions unknown", `{"allowed_regions":["XX"]}`, `"allowed_regions"`},
		{"allowed_regions a number", `{"allowed_regions":["AUS"]}`, `"allowed_regions"`},
		{"allowed_regions twice", `{"allowed_regions":["AU","au"]}`, `"allowed_regions"`},
		{"sender a string", `{"sender":"log"}`, `"sender"`},
		{"sender without type", `{"sender":{}}`, `"sender.type"`},
		{"sender type unknown", `{"sender":{"type":"carrier-pigeon"}}`, `"sender.type"`},
		{"sender type not a string", `{"sender":{"type":1}}`, `"sender.type"`},
		{"log sender with a key", `{"sender":{"type":"log","url":"https://x.example"}}`, `"sender.url"`},
		{"webhook without url", `{"sender":{"type":"webhook"}}`, `"sender.url"`},
		{"webhook over http", `{"sender":{"type":"webhook","url":"http://relay.example/sms"}}`, `"sender.url"`},
		{"webhook relative url", `{"sender":{"type":"webhook","url":"/sms"}}`, `"sender.url"`},
		{"webhook ftp url", `{"sender":{"type":"webhook","url":"ftp://relay.example/sms"}}`, `"sender.url"`},
		{"webhook url with credentials", `{"sender":{"type":"webhook","url":"https://user:pw@relay.example/sms"}}`, `"sender.url"`},
		{"webhook url with fragment", `{"sender":{"type":"webhook","url":"https://relay.example/sms#x"}}`, `"sender.url"`},
		{"webhook unknown key", `{"sender":{"type":"webhook","url":"https://relay.example/sms","retries":1}}`, `"sender.retries"`},
		{"webhook header name without value", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_name":"X-Key"}}`, `"sender.header_value"`},
		{"webhook header value without name", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_value":"k"}}`, `"sender.header_name"`},
		{"webhook header name with a space", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_name":"X Key","header_value":"k"}}`, `"sender.header_name"`},
		{"webhook header name Host", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_name":"host","header_value":"k"}}`, `"sender.header_name"`},
		{"webhook header value with a newline", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_name":"X-Key","header_value":"a\nb"}}`, `"sender.header_value"`},
		{"webhook timeout too long", `{"sender":{"type":"webhook","url":"https://relay.example/sms","timeout":"2m"}}`, `"sender.timeout"`},
		{"webhook timeout too short", `{"sender":{"type":"webhook","url":"https://relay.example/sms","timeout":"100ms"}}`, `"sender.timeout"`},
		{"webhook max retries 6", `{"sender":{"type":"webhook","url":"https://relay.example/sms","max_retries":6}}`, `"sender.max_retries"`},
		{"webhook max retries negative", `{"sender":{"type":"webhook","url":"https://relay.example/sms","max_retries":-1}}`, `"sender.max_retries"`},
		{"webhook allow_insecure_http a string", `{"sender":{"type":"webhook","url":"https://relay.example/sms","allow_insecure_http":"yes"}}`, `"sender.allow_insecure_http"`},
		{"webhook instance empty", `{"sender":{"type":"webhook","url":"https://relay.example/sms","instance":""}}`, `"sender.instance"`},
		{"twilio without account", `{"sender":{"type":"twilio","auth_token":"tok","from":"+14155552671"}}`, `"sender.account_sid"`},
		{"twilio without token", `{"sender":{"type":"twilio","account_sid":"` + sid + `","from":"+14155552671"}}`, `"sender.auth_token"`},
		{"twilio without from", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok"}}`, `"sender.from"`},
		{"twilio bad account", `{"sender":{"type":"twilio","account_sid":"AC123","auth_token":"tok","from":"+14155552671"}}`, `"sender.account_sid"`},
		{"twilio token with a space", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"a b","from":"+14155552671"}}`, `"sender.auth_token"`},
		{"twilio from national", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"0412345678"}}`, `"sender.from"`},
		{"twilio from invalid number", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"+15555550100"}}`, `"sender.from"`},
		{"twilio from bad service", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"tok","from":"MG123"}}`, `"sender.from"`},
		{"twilio base url over http", twilio(`,"base_url":"http://127.0.0.1:9"`), `"sender.base_url"`},
		{"twilio base url with query", twilio(`,"base_url":"https://api.example/?x=1"`), `"sender.base_url"`},
		{"twilio unknown key", twilio(`,"api_key":"SK1"`), `"sender.api_key"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(quiet()).Configure(context.Background(), json.RawMessage(tc.settings))
			if !errors.Is(err, sdk.ErrInvalidSettings) {
				t.Fatalf("Configure(%s) = %v, %v; want sdk.ErrInvalidSettings", tc.settings, f, err)
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("error %q does not name %s", err, tc.wantKey)
			}
		})
	}
}

// Secret setting values must not come back in errors, which reach the
// operator's log.
func TestConfigureErrorsHideSecrets(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tests := []struct {
		name     string
		settings string
		secret   string
	}{
		{"auth token", `{"sender":{"type":"twilio","account_sid":"` + sid + `","auth_token":"SECRET token","from":"+14155552671"}}`, "SECRET"},
		{"header value", `{"sender":{"type":"webhook","url":"https://relay.example/sms","header_name":"X-Key","header_value":"SECRET\u0001"}}`, "SECRET"},
		{"url token with http", `{"sender":{"type":"webhook","url":"http://relay.example/sms?token=SECRET"}}`, "SECRET"},
		{"url token with credentials", `{"sender":{"type":"webhook","url":"https://user:SECRET@relay.example/sms"}}`, "SECRET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(quiet()).Configure(context.Background(), json.RawMessage(tc.settings))
			if !errors.Is(err, sdk.ErrInvalidSettings) {
				t.Fatalf("Configure = %v, want sdk.ErrInvalidSettings", err)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("error %q repeats the secret", err)
			}
		})
	}
}

func TestConfigureLeavesReceiverUnchanged(t *testing.T) {
	base := New(quiet())
	before := base.settings
	g := newGateway(t)
	f := configure(t, base, g, `{"digits":8,"code_ttl":"2m","issuer":"Acme"}`)
	if base.settings.digits != before.digits || base.settings.codeTTL != before.codeTTL || base.settings.issuer != before.issuer || base.sender.kind() != "log" {
		t.Fatalf("the receiver changed: %+v, sender %s", base.settings, base.sender.kind())
	}
	if base.Describe().EnrollmentTTL != 5*time.Minute || f.Describe().EnrollmentTTL != 2*time.Minute {
		t.Fatalf("TTLs: base %v, configured %v", base.Describe().EnrollmentTTL, f.Describe().EnrollmentTTL)
	}
	// Two instances from one base stay apart.
	other := configure(t, base, g, `{"digits":7}`)
	if f.settings.digits != 8 || other.settings.digits != 7 {
		t.Fatalf("digits %d and %d", f.settings.digits, other.settings.digits)
	}
}

func TestConfigureWarnsAboutLogSender(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		warns    bool
	}{
		{"default sender", `{"allow_log_sender":true}`, true},
		{"log sender", `{"sender":{"type":"log"},"allow_log_sender":true}`, true},
		{"webhook sender", `{"sender":{"type":"webhook","url":"https://relay.example/sms"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			f := New(WithLogger(slog.New(sdk.NewLogHandler(&buf, slog.LevelDebug))))
			if _, err := f.Configure(context.Background(), json.RawMessage(tc.settings)); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(buf.String(), `"@level":"warn"`) && strings.Contains(buf.String(), "development only")
			if got != tc.warns {
				t.Fatalf("warned = %v, want %v; log:\n%s", got, tc.warns, buf.String())
			}
		})
	}
}
