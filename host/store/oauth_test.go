package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

func TestOAuth(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.skip != "" {
				t.Skip(b.skip)
			}
			for _, tc := range []storeTest{
				{"Clients", testOAuthClients},
				{"ClientCache", testOAuthClientCache},
				{"AuthorizeCodes", testOAuthCodes},
				{"RefreshRotation", testOAuthRefreshRotation},
				{"RevokeGrant", testOAuthRevokeGrant},
				{"PKCEAndOpenIDConnect", testOAuthPKCEAndOIDC},
				{"Transactional", testOAuthTransactional},
				{"AbandonedTransaction", testOAuthAbandonedTransaction},
				{"ConcurrentCodeExchange", testOAuthConcurrentInvalidate},
				{"ConcurrentTransactions", testOAuthConcurrentTransactions},
				{"ClientAssertionJTI", testOAuthJTI},
				{"Keys", testOAuthKeys},
				{"KeysReseal", testOAuthKeysReseal},
				{"KeysConcurrentFirstStart", testOAuthKeysConcurrent},
				{"LoginFlows", testOAuthLoginFlows},
				{"MFATokens", testOAuthMFATokens},
				{"Cascades", testOAuthCascades},
				{"Janitor", testOAuthJanitor},
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

// mustClient registers a confidential client called id.
func mustClient(t *testing.T, s *SQLStore, id string) OAuthClient {
	t.Helper()
	c, err := s.CreateOAuthClient(context.Background(), OAuthClient{
		ID: id, Name: "client " + id, SecretHash: []byte("$2a$hash"), RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: []string{"openid", "offline_access"}, CreatedAt: t0,
	})
	noErr(t, err)
	return c
}

// fositeRequest is a request of client for user (empty: no user) with the
// given id, its session expiring an hour after t0.
func fositeRequest(client *OAuthClient, id, user string) *fosite.Request {
	sess := &openid.DefaultSession{Subject: user, Claims: &jwt.IDTokenClaims{Subject: user, AuthTime: t0, AuthenticationMethodsReferences: []string{"pwd", "otp", "mfa"}}}
	for _, tt := range []fosite.TokenType{fosite.AuthorizeCode, fosite.AccessToken, fosite.RefreshToken} {
		sess.SetExpiresAt(tt, t0.Add(time.Hour))
	}
	return &fosite.Request{
		ID: id, RequestedAt: t0, Client: client,
		RequestedScope: fosite.Arguments{"openid", "offline_access"}, GrantedScope: fosite.Arguments{"openid"},
		RequestedAudience: fosite.Arguments{}, GrantedAudience: fosite.Arguments{},
		Form: url.Values{"redirect_uri": {"https://app.example/cb"}, "nonce": {"n-0S6_WzA2Mj"}}, Session: sess,
	}
}

func newSession() *openid.DefaultSession { return openid.NewDefaultSession() }

func testOAuthClients(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	c := mustClient(t, s, "app")
	got, err := s.GetOAuthClient(ctx, "app")
	noErr(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("GetOAuthClient = %+v, want %+v", got, c)
	}
	pub, err := s.CreateOAuthClient(ctx, OAuthClient{ID: "spa", Public: true, RequireMFA: true, JWTAccessTokens: true, FirstParty: true, IDTokenSignedResponseAlg: "ES256"})
	noErr(t, err)
	if pub.RedirectURIs != nil {
		t.Fatalf("created client lists = %+v", pub)
	}
	got, err = s.GetOAuthClient(ctx, "spa")
	noErr(t, err)
	if !got.IsPublic() || !got.RequireMFA || !got.JWTAccessTokens || !got.FirstParty || got.IDTokenSignedResponseAlg != "ES256" ||
		len(got.GetHashedSecret()) != 0 || len(got.RedirectURIs) != 0 || got.Revision == 0 || got.Revision == c.Revision {
		t.Fatalf("public client read back as %+v", got)
	}
	for _, tc := range []struct {
		name   string
		client OAuthClient
		want   error
	}{
		{"duplicate id", OAuthClient{ID: "app", SecretHash: []byte("x")}, ErrAlreadyExists},
		{"confidential without secret", OAuthClient{ID: "c1"}, nil},
		{"public with secret", OAuthClient{ID: "c2", Public: true, SecretHash: []byte("x")}, nil},
		{"no id", OAuthClient{SecretHash: []byte("x")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateOAuthClient(ctx, tc.client)
			if err == nil {
				t.Fatal("CreateOAuthClient succeeded")
			}
			if tc.want != nil {
				wantErr(t, err, tc.want)
			}
		})
	}
	list, err := s.ListOAuthClients(ctx)
	noErr(t, err)
	if len(list) != 2 || list[0].ID != "app" || list[1].ID != "spa" {
		t.Fatalf("ListOAuthClients = %+v", list)
	}
	fc, err := s.Fosite().GetClient(ctx, "app")
	noErr(t, err)
	if fc.GetID() != "app" || !fc.GetGrantTypes().Has("refresh_token") || !fc.GetResponseTypes().ExactOne("code") {
		t.Fatalf("fosite client = %+v", fc)
	}
	noErr(t, s.DeleteOAuthClient(ctx, "spa"))
	wantErr(t, s.DeleteOAuthClient(ctx, "spa"), ErrNotFound)
	_, err = s.Fosite().GetClient(ctx, "spa")
	if !errors.Is(err, fosite.ErrNotFound) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetClient(deleted) = %v, want fosite.ErrNotFound", err)
	}
}

// testOAuthClientCache checks that the clients a store keeps never outlive
// a change: one made through the store takes effect at once, one made by
// another process (a second store on the same database) within
// clientRecheck, and a token's client is always the current one.
func testOAuthClientCache(t *testing.T, e *testEnv) {
	ctx := context.Background()
	mustUser(t, e.s, "u1")
	other := openStore(t, e.url)
	var now time.Time
	e.s.now = func() time.Time { return now }
	register := func(s *SQLStore, hash string) func(t *testing.T) {
		return func(t *testing.T) {
			_, err := s.CreateOAuthClient(ctx, OAuthClient{ID: "app", SecretHash: []byte(hash), GrantTypes: []string{"authorization_code"}})
			noErr(t, err)
		}
	}
	for _, tc := range []struct {
		name     string
		changes  []func(t *testing.T)
		here     bool   // made through the store that keeps the client
		wantHash string // empty: the client is gone
	}{
		{"deleted here", []func(*testing.T){deleteClient(e.s)}, true, ""},
		{"registered again here", []func(*testing.T){deleteClient(e.s), register(e.s, "$2a$new")}, true, "$2a$new"},
		{"deleted elsewhere", []func(*testing.T){deleteClient(other)}, false, ""},
		{"registered again elsewhere", []func(*testing.T){deleteClient(other), register(other, "$2a$new")}, false, "$2a$new"},
		{"changed in place elsewhere", []func(*testing.T){func(t *testing.T) {
			_, err := other.exec(ctx, `UPDATE oauth_clients SET secret_hash = ?, revision = ? WHERE id = ?`, []byte("$2a$rotated"), newRevision(), "app")
			noErr(t, err)
		}}, false, "$2a$rotated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = t0
			_ = e.s.DeleteOAuthClient(ctx, "app")
			c := mustClient(t, e.s, "app")
			f := e.s.Fosite()
			noErr(t, f.CreateAccessTokenSession(ctx, "at-"+tc.name, fositeRequest(&c, "req-"+tc.name, "u1")))
			for range 2 { // decoded, then kept
				if got, err := f.GetClient(ctx, "app"); err != nil || string(got.GetHashedSecret()) != "$2a$hash" {
					t.Fatalf("GetClient before the change: %v, %v", got, err)
				}
				if _, err := f.GetAccessTokenSession(ctx, "at-"+tc.name, newSession()); err != nil {
					t.Fatalf("token before the change: %v", err)
				}
			}
			for _, change := range tc.changes {
				change(t)
			}
			if tc.wantHash == "" {
				// Its tokens went with it.
				if _, err := f.GetAccessTokenSession(ctx, "at-"+tc.name, newSession()); !errors.Is(err, fosite.ErrNotFound) {
					t.Fatalf("token of a deleted client: %v", err)
				}
			} else {
				// A token of the changed client names the current one at once.
				c2, err := other.GetOAuthClient(ctx, "app")
				noErr(t, err)
				noErr(t, f.CreateAccessTokenSession(ctx, "at2-"+tc.name, fositeRequest(&c2, "req2-"+tc.name, "u1")))
				req, err := f.GetAccessTokenSession(ctx, "at2-"+tc.name, newSession())
				if err != nil || string(req.GetClient().GetHashedSecret()) != tc.wantHash {
					t.Fatalf("token's client after the change: %v; want secret %q", err, tc.wantHash)
				}
			}
			if !tc.here {
				now = now.Add(clientRecheck)
			}
			got, err := f.GetClient(ctx, "app")
			if tc.wantHash == "" {
				if !errors.Is(err, fosite.ErrNotFound) {
					t.Fatalf("GetClient of a deleted client: %v, %v", got, err)
				}
				return
			}
			if err != nil || string(got.GetHashedSecret()) != tc.wantHash {
				t.Fatalf("GetClient after the change: %v, %v; want secret %q", got, err, tc.wantHash)
			}
		})
	}
}

// deleteClient deletes the client "app" through s.
func deleteClient(s *SQLStore) func(t *testing.T) {
	return func(t *testing.T) {
		noErr(t, s.DeleteOAuthClient(context.Background(), "app"))
	}
}

func testOAuthCodes(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")
	noErr(t, f.CreateAuthorizeCodeSession(ctx, "code-sig", req))

	sess := newSession()
	got, err := f.GetAuthorizeCodeSession(ctx, "code-sig", sess)
	noErr(t, err)
	if got.GetID() != "req-1" || got.GetClient().GetID() != "app" || !got.GetRequestedAt().Equal(t0) ||
		got.GetRequestForm().Get("redirect_uri") != "https://app.example/cb" || !got.GetGrantedScopes().ExactOne("openid") ||
		!reflect.DeepEqual([]string(got.GetRequestedScopes()), []string{"openid", "offline_access"}) {
		t.Fatalf("GetAuthorizeCodeSession = %+v", got)
	}
	if got.GetSession() != sess || sess.Subject != "u1" || !reflect.DeepEqual(sess.Claims.AuthenticationMethodsReferences, []string{"pwd", "otp", "mfa"}) ||
		!sess.GetExpiresAt(fosite.AccessToken).Equal(t0.Add(time.Hour)) {
		t.Fatalf("session decoded as %+v", sess)
	}

	_, err = f.GetAuthorizeCodeSession(ctx, "other", newSession())
	if !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("unknown code: %v, want fosite.ErrNotFound", err)
	}

	noErr(t, f.InvalidateAuthorizeCodeSession(ctx, "code-sig"))
	got, err = f.GetAuthorizeCodeSession(ctx, "code-sig", newSession())
	if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) || got == nil || got.GetID() != "req-1" {
		t.Fatalf("used code = %v, %v; want the request and fosite.ErrInvalidatedAuthorizeCode", got, err)
	}
	if err := f.InvalidateAuthorizeCodeSession(ctx, "code-sig"); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("second invalidation = %v, want fosite.ErrInvalidatedAuthorizeCode", err)
	}
}

func testOAuthRefreshRotation(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")
	noErr(t, f.CreateAccessTokenSession(ctx, "at-1", req))
	noErr(t, f.CreateRefreshTokenSession(ctx, "rt-1", "at-1", req))

	got, err := f.GetRefreshTokenSession(ctx, "rt-1", newSession())
	noErr(t, err)
	if got.GetID() != "req-1" {
		t.Fatalf("refresh request id = %q", got.GetID())
	}

	// The refresh grant: rotate, then issue a new pair under the same request id.
	noErr(t, f.RotateRefreshToken(ctx, "req-1", "rt-1"))
	noErr(t, f.CreateAccessTokenSession(ctx, "at-2", req))
	noErr(t, f.CreateRefreshTokenSession(ctx, "rt-2", "at-2", req))

	got, err = f.GetRefreshTokenSession(ctx, "rt-1", newSession())
	if !errors.Is(err, fosite.ErrInactiveToken) || got == nil || got.GetID() != "req-1" {
		t.Fatalf("rotated token = %v, %v; want the request and fosite.ErrInactiveToken", got, err)
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-1", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("access token of the rotated refresh token: %v, want fosite.ErrNotFound", err)
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-2", newSession()); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	if err := f.RotateRefreshToken(ctx, "req-1", "rt-1"); !errors.Is(err, fosite.ErrSerializationFailure) {
		t.Fatalf("rotating a rotated token = %v, want fosite.ErrSerializationFailure", err)
	}

	// Reuse detected: fosite deletes the reused token and revokes the grant.
	noErr(t, f.DeleteRefreshTokenSession(ctx, "rt-1"))
	noErr(t, f.RevokeRefreshToken(ctx, "req-1"))
	noErr(t, f.RevokeAccessToken(ctx, "req-1"))
	if _, err := f.GetRefreshTokenSession(ctx, "rt-2", newSession()); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Fatalf("newest refresh token after revocation: %v, want fosite.ErrInactiveToken", err)
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-2", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("access token after revocation: %v, want fosite.ErrNotFound", err)
	}
	if _, err := f.GetRefreshTokenSession(ctx, "rt-1", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("deleted refresh token: %v, want fosite.ErrNotFound", err)
	}
	// Deleting again is not an error: revocation is idempotent.
	noErr(t, f.DeleteRefreshTokenSession(ctx, "rt-1"))
	noErr(t, f.DeleteAccessTokenSession(ctx, "at-2"))
}

func testOAuthRevokeGrant(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	for _, id := range []string{"req-a", "req-b"} {
		req := fositeRequest(&c, id, "u1")
		noErr(t, f.CreateAccessTokenSession(ctx, "at-"+id, req))
		noErr(t, f.CreateRefreshTokenSession(ctx, "rt-"+id, "at-"+id, req))
	}
	noErr(t, f.RevokeAccessToken(ctx, "req-a"))
	noErr(t, f.RevokeRefreshToken(ctx, "req-a"))
	for _, tc := range []struct {
		name string
		get  func() error
		want error
	}{
		{"revoked access token", func() error { _, err := f.GetAccessTokenSession(ctx, "at-req-a", newSession()); return err }, fosite.ErrNotFound},
		{"revoked refresh token", func() error { _, err := f.GetRefreshTokenSession(ctx, "rt-req-a", newSession()); return err }, fosite.ErrInactiveToken},
		{"other grant's access token", func() error { _, err := f.GetAccessTokenSession(ctx, "at-req-b", newSession()); return err }, nil},
		{"other grant's refresh token", func() error { _, err := f.GetRefreshTokenSession(ctx, "rt-req-b", newSession()); return err }, nil},
		{"lookup without a session (revocation)", func() error {
			req, err := f.GetAccessTokenSession(ctx, "at-req-b", nil)
			if err == nil && (req.GetID() != "req-b" || req.GetClient().GetID() != "app" || req.GetSession() != nil) {
				return fmt.Errorf("request %+v", req)
			}
			return err
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.get()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func testOAuthPKCEAndOIDC(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")
	req.Form.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	noErr(t, f.CreatePKCERequestSession(ctx, "code-sig", req))
	got, err := f.GetPKCERequestSession(ctx, "code-sig", newSession())
	noErr(t, err)
	if got.GetRequestForm().Get("code_challenge") != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("pkce form = %v", got.GetRequestForm())
	}
	noErr(t, f.DeletePKCERequestSession(ctx, "code-sig"))
	if _, err := f.GetPKCERequestSession(ctx, "code-sig", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("deleted pkce session: %v", err)
	}

	const code = "ory_ac_raw-code.signature"
	noErr(t, f.CreateOpenIDConnectSession(ctx, code, req))
	var stored string
	noErr(t, s.queryRow(ctx, `SELECT signature FROM oauth_requests WHERE kind = 'oidc'`).Scan(&stored))
	if stored == code || len(stored) != 64 {
		t.Fatalf("oidc session keyed by %q; the code itself must not be stored", stored)
	}
	holder := &fosite.Request{Session: newSession()}
	got, err = f.GetOpenIDConnectSession(ctx, code, holder)
	noErr(t, err)
	if got.GetRequestForm().Get("nonce") != "n-0S6_WzA2Mj" || got.GetSession().(*openid.DefaultSession).Claims.Subject != "u1" {
		t.Fatalf("oidc session = %+v", got)
	}
	noErr(t, f.DeleteOpenIDConnectSession(ctx, code))
	if _, err := f.GetOpenIDConnectSession(ctx, code, holder); !errors.Is(err, openid.ErrNoSessionFound) {
		t.Fatalf("deleted oidc session: %v, want openid.ErrNoSessionFound", err)
	}
	// On SQLite the deletes commit without being waited for, with or
	// before any write that comes after.
	noErr(t, s.InTx(ctx, func(context.Context) error { return nil }))
	var left int
	noErr(t, s.queryRow(ctx, `SELECT COUNT(*) FROM oauth_requests WHERE kind IN ('pkce', 'oidc')`).Scan(&left))
	if left != 0 {
		t.Fatalf("%d pkce and oidc sessions left after the next write", left)
	}
}

func testOAuthTransactional(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")
	noErr(t, f.CreateAuthorizeCodeSession(ctx, "code-sig", req))

	// A failed exchange rolls back: the code is still usable.
	tx, err := f.BeginTX(ctx)
	noErr(t, err)
	noErr(t, f.InvalidateAuthorizeCodeSession(tx, "code-sig"))
	noErr(t, f.CreateAccessTokenSession(tx, "at-1", req))
	noErr(t, f.Rollback(tx))
	if _, err := f.GetAuthorizeCodeSession(ctx, "code-sig", newSession()); err != nil {
		t.Fatalf("code after rollback: %v", err)
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-1", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("access token after rollback: %v", err)
	}

	// A successful one commits both.
	tx, err = f.BeginTX(ctx)
	noErr(t, err)
	noErr(t, f.InvalidateAuthorizeCodeSession(tx, "code-sig"))
	noErr(t, f.CreateAccessTokenSession(tx, "at-1", req))
	noErr(t, f.Commit(tx))
	if _, err := f.GetAuthorizeCodeSession(ctx, "code-sig", newSession()); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("code after commit: %v", err)
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-1", newSession()); err != nil {
		t.Fatalf("access token after commit: %v", err)
	}

	// Inside InTx, BeginTX joins and leaves commit and rollback to the owner.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(ctx context.Context) error {
		inner, err := f.BeginTX(ctx)
		if err != nil {
			return err
		}
		if err := f.CreateAccessTokenSession(inner, "at-joined", req); err != nil {
			return err
		}
		if err := f.Commit(inner); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	if _, err := f.GetAccessTokenSession(ctx, "at-joined", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("a joined transaction committed on its own: %v", err)
	}
	if err := f.Commit(ctx); err == nil {
		t.Fatal("Commit without a transaction succeeded")
	}
}

// testOAuthConcurrentInvalidate checks that of many exchanges of one code
// racing through the transaction fosite runs, exactly one issues tokens.
func testOAuthConcurrentInvalidate(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")
	noErr(t, f.CreateAuthorizeCodeSession(ctx, "code-sig", req))
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := f.BeginTX(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if err := f.InvalidateAuthorizeCodeSession(tx, "code-sig"); err != nil {
				_ = f.Rollback(tx)
				if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
					t.Errorf("exchange %d: %v", i, err)
				}
				return
			}
			if err := f.CreateAccessTokenSession(tx, fmt.Sprintf("at-%d", i), req); err != nil {
				_ = f.Rollback(tx)
				t.Errorf("exchange %d: %v", i, err)
				return
			}
			if err := f.Commit(tx); err != nil {
				t.Errorf("exchange %d: %v", i, err)
				return
			}
			mu.Lock()
			wins++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d exchanges of one code succeeded, want 1", wins)
	}
}

// testOAuthConcurrentTransactions checks that transactions begun at once
// (which SQLite's writer may commit together) keep their own outcome: the
// committed ones' writes are there, the rolled-back ones' are not.
func testOAuthConcurrentTransactions(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tx, err := f.BeginTX(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			req := fositeRequest(&c, fmt.Sprintf("req-%d", i), "u1")
			if err := f.CreateAccessTokenSession(tx, fmt.Sprintf("at-%d", i), req); err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
			end := f.Commit
			if i%2 == 1 {
				end = f.Rollback
			}
			if err := end(tx); err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		_, err := f.GetAccessTokenSession(ctx, fmt.Sprintf("at-%d", i), newSession())
		if committed := i%2 == 0; committed != (err == nil) {
			t.Errorf("transaction %d (committed %v): token lookup %v", i, committed, err)
		}
	}
}

func testOAuthJTI(t *testing.T, e *testEnv) {
	ctx := context.Background()
	f := e.s.Fosite()
	future := time.Now().Add(time.Hour)
	noErr(t, f.ClientAssertionJWTValid(ctx, "jti-1"))
	noErr(t, f.SetClientAssertionJWT(ctx, "jti-1", future))
	if err := f.ClientAssertionJWTValid(ctx, "jti-1"); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Fatalf("known jti: %v", err)
	}
	if err := f.SetClientAssertionJWT(ctx, "jti-1", future); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Fatalf("recording a known jti: %v", err)
	}
	// An expired one is forgotten when the next is recorded.
	noErr(t, f.SetClientAssertionJWT(ctx, "jti-old", time.Now().Add(-time.Minute)))
	noErr(t, f.ClientAssertionJWTValid(ctx, "jti-old"))
	noErr(t, f.SetClientAssertionJWT(ctx, "jti-2", future))
	noErr(t, f.SetClientAssertionJWT(ctx, "jti-old", future))
}

func testOAuthKeys(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	k1, err := s.PutOAuthKey(ctx, OAuthKey{ID: "kid-1", Purpose: KeyPurposeSigning, Alg: "RS256", Private: []byte("sealed-1"), CreatedAt: t0}, false, time.Time{})
	noErr(t, err)
	_, err = s.PutOAuthKey(ctx, OAuthKey{ID: "kid-2", Purpose: KeyPurposeSigning, Alg: "RS256", Private: []byte("sealed-2"), CreatedAt: t0}, false, time.Time{})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.PutOAuthKey(ctx, OAuthKey{ID: "kid-es", Purpose: KeyPurposeSigning, Alg: "ES256", Private: []byte("sealed-es"), CreatedAt: t0}, false, time.Time{})
	noErr(t, err)
	_, err = s.PutOAuthKey(ctx, OAuthKey{ID: "kid-bad", Purpose: "enc", Alg: "RS256", Private: []byte("x")}, false, time.Time{})
	if err == nil {
		t.Fatal("PutOAuthKey accepted an unknown purpose")
	}

	// Rotation retires the active key of the same algorithm only.
	rotated := t0.Add(time.Hour)
	_, err = s.PutOAuthKey(ctx, OAuthKey{ID: "kid-3", Purpose: KeyPurposeSigning, Alg: "RS256", Private: []byte("sealed-3"), CreatedAt: rotated}, true, rotated.Add(2*time.Hour))
	noErr(t, err)
	keys, err := s.ListOAuthKeys(ctx)
	noErr(t, err)
	byID := map[string]OAuthKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	if len(keys) != 3 || byID["kid-1"].Active() || !byID["kid-1"].RetiredAt.Equal(rotated) || !byID["kid-1"].ExpiresAt.Equal(rotated.Add(2*time.Hour)) ||
		!byID["kid-3"].Active() || !byID["kid-es"].Active() || string(byID["kid-1"].Private) != string(k1.Private) {
		t.Fatalf("keys after rotation = %+v", keys)
	}

	// The janitor drops the retired key once it expired.
	n, err := s.DeleteExpiredOAuth(ctx, rotated.Add(2*time.Hour))
	noErr(t, err)
	keys, err = s.ListOAuthKeys(ctx)
	noErr(t, err)
	if n != 1 || len(keys) != 2 {
		t.Fatalf("janitor deleted %d, keys now %+v", n, keys)
	}
}

// testOAuthKeysConcurrentFirstStart checks that hosts generating their first
// key at once end up agreeing on one.
func testOAuthKeysConcurrent(t *testing.T, e *testEnv) {
	ctx := context.Background()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := openStore(t, e.url)
			_, errs[i] = st.PutOAuthKey(ctx, OAuthKey{ID: fmt.Sprintf("hmac-%d", i), Purpose: KeyPurposeHMAC, Alg: "HS512", Private: []byte("secret")}, false, time.Time{})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrAlreadyExists):
			t.Fatalf("PutOAuthKey: %v", err)
		}
	}
	keys, err := e.s.ListOAuthKeys(ctx)
	noErr(t, err)
	if ok != 1 || len(keys) != 1 {
		t.Fatalf("%d concurrent first keys stored (%d rows), want 1", ok, len(keys))
	}
}

func testOAuthLoginFlows(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	f, err := s.CreateLoginFlow(ctx, LoginFlow{ID: "flow-1", State: []byte("sealed"), CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)})
	noErr(t, err)
	if f.Version != 1 {
		t.Fatalf("new flow version = %d", f.Version)
	}
	v, err := s.UpdateLoginFlow(ctx, "flow-1", 1, []byte("step-2"))
	noErr(t, err)
	_, err = s.UpdateLoginFlow(ctx, "flow-1", 1, []byte("lost"))
	wantErr(t, err, ErrConflict)
	_, err = s.UpdateLoginFlow(ctx, "missing", 1, []byte("x"))
	wantErr(t, err, ErrNotFound)
	got, err := s.GetLoginFlow(ctx, "flow-1")
	noErr(t, err)
	if got.Version != v || string(got.State) != "step-2" || !got.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("GetLoginFlow = %+v", got)
	}
	noErr(t, s.DeleteLoginFlow(ctx, "flow-1"))
	wantErr(t, s.DeleteLoginFlow(ctx, "flow-1"), ErrNotFound)
}

func testOAuthMFATokens(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustClient(t, s, "app")
	tok, err := s.CreateMFAToken(ctx, MFAToken{
		Hash: []byte{1, 2, 3}, ClientID: "app", UserID: "u1", Scopes: []string{"openid"}, AMR: []string{"pwd"},
		AuthTime: t0, CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute),
	})
	noErr(t, err)
	_, err = s.CreateMFAToken(ctx, MFAToken{Hash: []byte{9}, ClientID: "nobody", UserID: "u1", ExpiresAt: t0.Add(time.Minute)})
	wantErr(t, err, ErrNotFound)

	got, err := s.GetMFAToken(ctx, []byte{1, 2, 3})
	noErr(t, err)
	if got.Version != 1 || got.ClientID != "app" || got.UserID != "u1" || !reflect.DeepEqual(got.Scopes, []string{"openid"}) ||
		len(got.Audience) != 0 || !reflect.DeepEqual(got.AMR, []string{"pwd"}) || !got.AuthTime.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("GetMFAToken = %+v", got)
	}

	tok.Factor, tok.ChallengeID, tok.OOBHash = "sms", "ch-1", []byte{7}
	v, err := s.UpdateMFAToken(ctx, tok)
	noErr(t, err)
	_, err = s.UpdateMFAToken(ctx, tok) // stale version
	wantErr(t, err, ErrConflict)
	got, err = s.GetMFAToken(ctx, tok.Hash)
	noErr(t, err)
	if got.Version != v || got.Factor != "sms" || got.ChallengeID != "ch-1" || string(got.OOBHash) != string([]byte{7}) {
		t.Fatalf("after update = %+v", got)
	}

	wantErr(t, s.ConsumeMFAToken(ctx, tok.Hash, 1), ErrConflict)
	noErr(t, s.ConsumeMFAToken(ctx, tok.Hash, v))
	wantErr(t, s.ConsumeMFAToken(ctx, tok.Hash, v), ErrNotFound)
	_, err = s.GetMFAToken(ctx, tok.Hash)
	wantErr(t, err, ErrNotFound)
}

func testOAuthCascades(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	mustUser(t, s, "u2")
	app := mustClient(t, s, "app")
	other := mustClient(t, s, "other")
	noErr(t, f.CreateAccessTokenSession(ctx, "at-u1", fositeRequest(&app, "r1", "u1")))
	noErr(t, f.CreateAccessTokenSession(ctx, "at-u2", fositeRequest(&other, "r2", "u2")))
	noErr(t, f.CreateAccessTokenSession(ctx, "at-cc", fositeRequest(&app, "r3", "")))
	_, err := s.CreateMFAToken(ctx, MFAToken{Hash: []byte{1}, ClientID: "app", UserID: "u2", ExpiresAt: t0.Add(time.Minute)})
	noErr(t, err)

	// Deleting a user revokes what was issued to them.
	_, err = s.exec(ctx, `DELETE FROM users WHERE id = ?`, "u1")
	noErr(t, err)
	if _, err := f.GetAccessTokenSession(ctx, "at-u1", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("token of a deleted user: %v", err)
	}
	// Deleting a client revokes what was issued to it.
	noErr(t, s.DeleteOAuthClient(ctx, "app"))
	for _, sig := range []string{"at-cc"} {
		if _, err := f.GetAccessTokenSession(ctx, sig, newSession()); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("token %s of a deleted client: %v", sig, err)
		}
	}
	_, err = s.GetMFAToken(ctx, []byte{1})
	wantErr(t, err, ErrNotFound)
	if _, err := f.GetAccessTokenSession(ctx, "at-u2", newSession()); err != nil {
		t.Fatalf("another client's token: %v", err)
	}
}

func testOAuthJanitor(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "r1", "u1") // expires at t0+1h
	noErr(t, f.CreateAccessTokenSession(ctx, "at", req))
	noErr(t, f.CreateAuthorizeCodeSession(ctx, "code", req))
	forever := fositeRequest(&c, "r2", "u1")
	forever.Session.(*openid.DefaultSession).ExpiresAt = nil
	noErr(t, f.CreateRefreshTokenSession(ctx, "rt-forever", "", forever))
	_, err := s.CreateMFAToken(ctx, MFAToken{Hash: []byte{1}, ClientID: "app", UserID: "u1", ExpiresAt: t0.Add(5 * time.Minute)})
	noErr(t, err)
	_, err = s.CreateLoginFlow(ctx, LoginFlow{ID: "f", State: []byte("s"), ExpiresAt: t0.Add(15 * time.Minute)})
	noErr(t, err)

	n, err := s.DeleteExpiredOAuth(ctx, t0.Add(time.Minute))
	noErr(t, err)
	if n != 0 {
		t.Fatalf("janitor deleted %d live rows", n)
	}
	n, err = s.DeleteExpiredOAuth(ctx, t0.Add(time.Hour))
	noErr(t, err)
	if n != 4 {
		t.Fatalf("janitor deleted %d rows, want 4 (access token, code, mfa token, flow)", n)
	}
	if _, err := f.GetRefreshTokenSession(ctx, "rt-forever", newSession()); err != nil {
		t.Fatalf("a token without expiry was deleted: %v", err)
	}
}

func testOAuthKeysReseal(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	k, err := s.PutOAuthKey(ctx, OAuthKey{ID: "k1", Purpose: KeyPurposeSigning, Alg: "RS256", Private: []byte("sealed-old"), CreatedAt: t0}, false, time.Time{})
	noErr(t, err)
	wantErr(t, s.ResealOAuthKey(ctx, k.ID, []byte("not what is stored"), []byte("sealed-new")), ErrConflict)
	noErr(t, s.ResealOAuthKey(ctx, k.ID, []byte("sealed-old"), []byte("sealed-new")))
	keys, err := s.ListOAuthKeys(ctx)
	noErr(t, err)
	if len(keys) != 1 || string(keys[0].Private) != "sealed-new" || !keys[0].Active() {
		t.Fatalf("after reseal: %+v", keys)
	}
	wantErr(t, s.ResealOAuthKey(ctx, "missing", []byte("x"), []byte("y")), ErrConflict)
}

// testOAuthAbandonedTransaction checks that a transaction whose caller's
// request ended without Commit or Rollback (a handler that panicked) is
// rolled back instead of holding up the writes of everyone else, and that
// the abandoned context cannot write any more.
func testOAuthAbandonedTransaction(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s, f := e.s, e.s.Fosite()
	mustUser(t, s, "u1")
	c := mustClient(t, s, "app")
	req := fositeRequest(&c, "req-1", "u1")

	reqCtx, endRequest := context.WithCancel(ctx)
	tx, err := f.BeginTX(reqCtx)
	noErr(t, err)
	noErr(t, f.CreateAccessTokenSession(tx, "at-lost", req))
	endRequest()

	// Waits for the writer, which gives the abandoned transaction up.
	noErr(t, f.CreateAccessTokenSession(ctx, "at-after", req))
	if _, err := f.GetAccessTokenSession(ctx, "at-lost", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("the abandoned transaction's write: %v, want not found", err)
	}
	if err := f.CreateAccessTokenSession(tx, "at-late", req); err == nil {
		t.Fatal("a write through the abandoned transaction succeeded")
	}
	if err := f.Commit(tx); err == nil {
		t.Fatal("the abandoned transaction committed")
	}
	if _, err := f.GetAccessTokenSession(ctx, "at-late", newSession()); !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("a late write of the abandoned transaction: %v, want not found", err)
	}
}
