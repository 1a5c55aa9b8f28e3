package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
)

func TestAccount(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.skip != "" {
				t.Skip(b.skip)
			}
			for _, tc := range []storeTest{
				{"SignOutEverywhere", testSignOutEverywhere},
				{"AuditUserAgent", testAuditUserAgent},
				{"SetCredentialName", testSetCredentialName},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					u := b.newURL(t)
					tc.run(t, &testEnv{s: openStore(t, u), url: u, newURL: b.newURL})
				})
			}
		})
	}
}

// testSignOutEverywhere: the user's sessions, tokens and pending MFA grants
// go; another user's stay.
func testSignOutEverywhere(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	mustUser(t, s, "u2")
	c := mustClient(t, s, "app")
	for _, u := range []string{"u1", "u2"} {
		for i, h := range []string{"a", "b"} {
			_, err := s.CreateSession(ctx, Session{Hash: []byte(u + h), UserID: u, CreatedAt: t0, ExpiresAt: t0.Add(time.Duration(i+1) * time.Hour)})
			noErr(t, err)
		}
		req := fositeRequest(&c, "req-"+u, u)
		noErr(t, f.CreateAccessTokenSession(ctx, "at-"+u, req))
		noErr(t, f.CreateRefreshTokenSession(ctx, "rt-"+u, "at-"+u, req))
		_, err := s.CreateMFAToken(ctx, MFAToken{Hash: []byte("mt-" + u), ClientID: "app", UserID: u, AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
		noErr(t, err)
	}
	_, err := s.SignOutEverywhere(ctx, "")
	if err == nil {
		t.Fatal("SignOutEverywhere without a user succeeded")
	}
	out, err := s.SignOutEverywhere(ctx, "u1")
	noErr(t, err)
	if want := (SignedOut{Sessions: 2, Grants: 2, MFATokens: 1}); out != want {
		t.Fatalf("SignOutEverywhere = %+v, want %+v", out, want)
	}
	for _, tc := range []struct {
		name string
		get  func() error
		want error
	}{
		{"session a", func() error { _, err := s.GetSession(ctx, []byte("u1a")); return err }, ErrNotFound},
		{"session b", func() error { _, err := s.GetSession(ctx, []byte("u1b")); return err }, ErrNotFound},
		{"refresh token", func() error { _, err := f.GetRefreshTokenSession(ctx, "rt-u1", newSession()); return err }, fosite.ErrNotFound},
		{"access token", func() error { _, err := f.GetAccessTokenSession(ctx, "at-u1", newSession()); return err }, fosite.ErrNotFound},
		{"mfa token", func() error { _, err := s.GetMFAToken(ctx, []byte("mt-u1")); return err }, ErrNotFound},
		{"other user's session", func() error { _, err := s.GetSession(ctx, []byte("u2a")); return err }, nil},
		{"other user's refresh token", func() error { _, err := f.GetRefreshTokenSession(ctx, "rt-u2", newSession()); return err }, nil},
		{"other user's mfa token", func() error { _, err := s.GetMFAToken(ctx, []byte("mt-u2")); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.get()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
	again, err := s.SignOutEverywhere(ctx, "u1")
	noErr(t, err)
	if again != (SignedOut{}) {
		t.Fatalf("second SignOutEverywhere = %+v", again)
	}
}

// testAuditUserAgent: the client's summary is kept with an event.
func testAuditUserAgent(t *testing.T, e *testEnv) {
	ctx := context.Background()
	for _, ua := range []string{"Firefox on Android", ""} {
		got, err := e.s.AppendAudit(ctx, AuditEvent{Time: t0, UserID: "u1", Action: "verify", Result: "ok", RemoteAddr: "192.0.2.7", UserAgent: ua})
		noErr(t, err)
		list, err := e.s.ListAudit(ctx, "u1", 1)
		noErr(t, err)
		if len(list) != 1 || list[0].ID != got.ID || list[0].UserAgent != ua || list[0].RemoteAddr != "192.0.2.7" {
			t.Fatalf("ListAudit = %+v, want the event with user agent %q", list, ua)
		}
	}
}

// testSetCredentialName: a user names their own credentials only.
func testSetCredentialName(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustUser(t, s, "u2")
	for _, c := range []Credential{{ID: "c1", UserID: "u1", Factor: "sms"}, {ID: "c2", UserID: "u1", Factor: "totp"}, {ID: "c3", UserID: "u2", Factor: "sms"}} {
		c.State, c.CreatedAt, c.ExpiresAt = []byte("state"), t0, t0.Add(time.Hour)
		_, err := s.PutPendingCredential(ctx, c)
		noErr(t, err)
	}
	for _, tc := range []struct {
		name, user, cred, nickname string
		want                       error
		ok                         bool
	}{
		{"own credential", "u1", "c1", "Work phone ☎", nil, true},
		{"cleared", "u1", "c2", "", nil, true},
		{"another user's", "u1", "c3", "mine now", ErrNotFound, false},
		{"unknown", "u1", "nope", "x", ErrNotFound, false},
		{"too long", "u1", "c1", strings.Repeat("é", MaxCredentialNameLength+1), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.SetCredentialName(ctx, tc.user, tc.cred, tc.nickname)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("SetCredentialName: %v", err)
			case !tc.ok && err == nil:
				t.Fatal("SetCredentialName succeeded")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
	names := func(user string) map[string]string {
		list, err := s.ListCredentials(ctx, user)
		noErr(t, err)
		out := map[string]string{}
		for _, c := range list {
			if c.Name != "" {
				out[c.ID] = c.Name
			}
		}
		return out
	}
	if got, want := names("u1"), map[string]string{"c1": "Work phone ☎"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("names of u1's credentials = %v, want %v", got, want)
	}
	if got := names("u2"); len(got) != 0 {
		t.Fatalf("names of u2's credentials = %v, want none", got)
	}
}
