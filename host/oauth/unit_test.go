package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"
)

func TestACR(t *testing.T) {
	mfa := []string{"pwd", "otp", "mfa"}
	for _, tc := range []struct {
		name      string
		amr       []string
		acrValues []string
		want      string
	}{
		{"password only", []string{"pwd"}, nil, ACRPassword},
		{"password only, MFA asked for", []string{"pwd"}, []string{ACRMFA}, ACRPassword},
		{"mfa", mfa, nil, ACRMFA},
		{"mfa, refeds asked for", mfa, []string{ACRRefedsMFA}, ACRRefedsMFA},
		{"mfa, both asked for", mfa, []string{ACRRefedsMFA, ACRMFA}, ACRMFA},
		{"security key, phishing-resistant asked for", []string{"pwd", "hwk", "user", "mfa"}, []string{ACRPhishingResistant}, ACRPhishingResistant},
		{"passkey alone, phishing-resistant asked for", []string{"hwk", "user", "mfa"}, []string{ACRPhishingResistant}, ACRPhishingResistant},
		{"security key, not asked for", []string{"pwd", "hwk", "mfa"}, nil, ACRMFA},
		{"one-time code, phishing-resistant asked for", mfa, []string{ACRPhishingResistant}, ACRMFA},
		{"password only, phishing-resistant asked for", []string{"pwd"}, []string{ACRPhishingResistant}, ACRPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := acrFor(tc.amr, tc.acrValues); got != tc.want {
				t.Fatalf("acrFor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSessionClone(t *testing.T) {
	s := userSession("u1", "alice", authState{AMR: []string{"pwd", "otp", "mfa"}, AuthTime: time.Unix(1000, 0)}, []string{ACRRefedsMFA}, time.Unix(900, 0))
	s.SetExpiresAt(fosite.AccessToken, time.Unix(2000, 0))
	c := s.Clone().(*Session)
	c.Claims.AuthenticationMethodsReferences[0] = "changed"
	c.SetExpiresAt(fosite.AccessToken, time.Unix(3000, 0))
	c.Claims.AuthenticationContextClassReference = "changed"
	if s.Claims.AuthenticationMethodsReferences[0] != "pwd" || !s.GetExpiresAt(fosite.AccessToken).Equal(time.Unix(2000, 0)) || s.Claims.AuthenticationContextClassReference != ACRRefedsMFA {
		t.Fatalf("the clone shares state with the original: %+v", s)
	}
	extra := s.GetExtraClaims()
	if !slices.Equal(extra["amr"].([]string), []string{"pwd", "otp", "mfa"}) || extra["acr"] != ACRRefedsMFA || extra["auth_time"] != int64(1000) {
		t.Fatalf("extra claims = %v", extra)
	}
	if got := newSession().GetExtraClaims(); len(got) != 0 {
		t.Fatalf("extra claims of an empty session = %v", got)
	}
}

func TestFormFromJSON(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		want                    url.Values
		wantErr                 bool
	}{
		{"json", "application/json", `{"grant_type":"password","scope":"openid","n":5,"ok":true,"list":["otp","oob"],"null":null}`,
			url.Values{"grant_type": {"password"}, "scope": {"openid"}, "n": {"5"}, "ok": {"true"}, "list": {"otp", "oob"}}, false},
		{"json with charset", "application/json; charset=utf-8", `{"a":"b"}`, url.Values{"a": {"b"}}, false},
		{"form untouched", "application/x-www-form-urlencoded", `a=b&c=d`, url.Values{"a": {"b"}, "c": {"d"}}, false},
		{"not an object", "application/json", `["a"]`, nil, true},
		{"a member twice", "application/json", `{"otp":"123456","otp":"654321"}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.contentType)
			err := formFromJSON(r)
			if tc.wantErr {
				if err == nil {
					t.Fatal("formFromJSON accepted the body")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ParseForm(); err != nil {
				t.Fatal(err)
			}
			if len(r.PostForm) != len(tc.want) {
				t.Fatalf("form = %v, want %v", r.PostForm, tc.want)
			}
			for k, v := range tc.want {
				if !slices.Equal(r.PostForm[k], v) {
					t.Fatalf("form[%s] = %v, want %v", k, r.PostForm[k], v)
				}
			}
		})
	}
}

func TestSecretHasher(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	h := newSecretHasher(func() time.Time { return now })
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	other, err := bcrypt.GenerateFromPassword([]byte("other"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		hash   []byte
		secret string
		ok     bool
	}{
		{"right secret", hash, "s3cret", true},
		{"right secret, remembered", hash, "s3cret", true},
		{"wrong secret", hash, "s3cret!", false},
		{"remembered secret against another hash", other, "s3cret", false},
		{"no hash", nil, "s3cret", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.Compare(ctx, tc.hash, []byte(tc.secret)); (err == nil) != tc.ok {
				t.Fatalf("Compare = %v, want ok %v", err, tc.ok)
			}
		})
	}
	if len(h.ok) != 1 {
		t.Fatalf("%d successes remembered, want 1", len(h.ok))
	}
	// After the TTL the hash is checked again (and still matches).
	now = now.Add(secretCacheTTL)
	if err := h.Compare(ctx, hash, []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	// The memory stays bounded.
	for i := range secretCacheSize + 10 {
		h.ok[[32]byte{byte(i), byte(i >> 8), 1}] = now.Add(time.Hour)
	}
	if err := h.Compare(ctx, other, []byte("other")); err != nil {
		t.Fatal(err)
	}
	if len(h.ok) > secretCacheSize {
		t.Fatalf("memory grew to %d entries", len(h.ok))
	}
	secret, stored, err := NewClientSecret()
	if err != nil || !strings.HasPrefix(secret, ClientSecretPrefix) || bcrypt.CompareHashAndPassword(stored, []byte(secret)) != nil {
		t.Fatalf("NewClientSecret = %q, %q, %v", secret, stored, err)
	}
}
