package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"
)

// Kinds of stored fosite requests (the kind column of oauth_requests).
const (
	requestCode    = "code"
	requestAccess  = "access"
	requestRefresh = "refresh"
	requestPKCE    = "pkce"
	requestOIDC    = "oidc"
)

// FositeStore is fosite's storage on the SQL store: clients, authorization
// codes, access and refresh tokens, PKCE and OpenID Connect sessions, and
// transactions, so that a code exchange or a refresh-token rotation commits
// as one unit. It shares the database, and any transaction carried by the
// context, with the [SQLStore] it came from.
//
// A stored request keeps its form, scopes, audiences and the JSON of its
// session. The session's subject, when set, must be a user id: it ties the
// row to the user, so deleting the user revokes everything issued to them.
// Rows that fosite invalidates (a used code, a rotated refresh token) stay
// until they expire, so a replay is recognised and answered with fosite's
// errors together with the original request, as fosite requires.
type FositeStore struct {
	s *SQLStore
}

// Fosite returns the fosite storage over s.
func (s *SQLStore) Fosite() *FositeStore { return &FositeStore{s: s} }

var (
	_ fosite.Storage                     = (*FositeStore)(nil)
	_ oauth2.CoreStorage                 = (*FositeStore)(nil)
	_ oauth2.TokenRevocationStorage      = (*FositeStore)(nil)
	_ pkce.PKCERequestStorage            = (*FositeStore)(nil)
	_ openid.OpenIDConnectRequestStorage = (*FositeStore)(nil)
	_ storage.Transactional              = (*FositeStore)(nil)
)

// storedRequest is the JSON of a fosite request without its client (kept by
// id) and its session (kept in its own column).
type storedRequest struct {
	ID                string     `json:"id"`
	RequestedAt       time.Time  `json:"requested_at"`
	ClientID          string     `json:"client_id"`
	RequestedScope    []string   `json:"requested_scope"`
	GrantedScope      []string   `json:"granted_scope"`
	RequestedAudience []string   `json:"requested_audience"`
	GrantedAudience   []string   `json:"granted_audience"`
	Form              url.Values `json:"form"`
}

// ClientAssertionJWTValid returns fosite.ErrJTIKnown when jti was seen and
// has not expired.
func (f *FositeStore) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	var exp int64
	err := f.s.queryRow(ctx, `SELECT expires_at FROM oauth_jtis WHERE jti = ?`, jti).Scan(&exp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return wrapErr("check client assertion jti", err)
	case fromMicros(exp).After(f.s.now()):
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT records jti until exp, dropping expired ones first.
func (f *FositeStore) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return f.s.InTx(ctx, func(ctx context.Context) error {
		if _, err := f.s.exec(ctx, `DELETE FROM oauth_jtis WHERE expires_at <= ?`, toMicros(f.s.now())); err != nil {
			return wrapErr("expire client assertion jtis", err)
		}
		_, err := f.s.exec(ctx, `INSERT INTO oauth_jtis (jti, expires_at) VALUES (?, ?)`, jti, toMicros(exp))
		if isUniqueViolation(err) {
			return fosite.ErrJTIKnown
		}
		return wrapErr("record client assertion jti", err)
	})
}

// create stores req under kind and signature; exp is when the row may be
// deleted (zero: never).
func (f *FositeStore) create(ctx context.Context, op, kind, signature, accessSignature string, req fosite.Requester, exp time.Time) error {
	if req == nil || req.GetClient() == nil || req.GetSession() == nil {
		return fmt.Errorf("store: %s: request, client and session are required", op)
	}
	body, err := json.Marshal(storedRequest{
		ID:                req.GetID(),
		RequestedAt:       req.GetRequestedAt(),
		ClientID:          req.GetClient().GetID(),
		RequestedScope:    req.GetRequestedScopes(),
		GrantedScope:      req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(),
		GrantedAudience:   req.GetGrantedAudience(),
		Form:              req.GetRequestForm(),
	})
	if err != nil {
		return fmt.Errorf("store: %s: encode request: %w", op, err)
	}
	session, err := json.Marshal(req.GetSession())
	if err != nil {
		return fmt.Errorf("store: %s: encode session: %w", op, err)
	}
	_, err = f.s.exec(ctx, `INSERT INTO oauth_requests
		(kind, signature, request_id, client_id, user_id, request, session, active, access_signature, requested_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?)`,
		kind, signature, req.GetID(), req.GetClient().GetID(), nullString(req.GetSession().GetSubject()),
		string(body), string(session), accessSignature, toMicros(req.GetRequestedAt()), nullMicros(exp))
	return wrapErr(op, err)
}

// get loads the request stored under kind and signature, decoding its
// session into the prototype session when there is one. It reports whether
// the row is active.
func (f *FositeStore) get(ctx context.Context, op, kind, signature string, session fosite.Session) (fosite.Requester, bool, error) {
	var (
		body, sessionJSON, clientID string
		active                      bool
		clientRevision              int64
	)
	if _, ok := f.s.deleting.Load(deletingKey(kind, signature)); ok {
		return nil, false, fmt.Errorf("%w: %w", wrapErr(op, sql.ErrNoRows), fosite.ErrNotFound)
	}
	// The client's revision comes with the row, so a kept client is used
	// only while it is current.
	gen := f.s.clients.generation()
	err := f.s.queryRow(ctx, `SELECT r.request, r.session, r.active, r.client_id, c.revision
		FROM oauth_requests r JOIN oauth_clients c ON c.id = r.client_id
		WHERE r.kind = ? AND r.signature = ?`,
		kind, signature).Scan(&body, &sessionJSON, &active, &clientID, &clientRevision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("%w: %w", wrapErr(op, err), fosite.ErrNotFound)
	}
	if err != nil {
		return nil, false, wrapErr(op, err)
	}
	var sr storedRequest
	if err := json.Unmarshal([]byte(body), &sr); err != nil {
		return nil, false, fmt.Errorf("store: %s: decode request: %w", op, err)
	}
	// fosite passes no session where it needs only the request's id and
	// client (revocation); the session stays undecoded then.
	if session != nil {
		if err := json.Unmarshal([]byte(sessionJSON), session); err != nil {
			return nil, false, fmt.Errorf("store: %s: decode session: %w", op, err)
		}
	}
	client, err := f.client(ctx, clientID, clientRevision, gen)
	if err != nil {
		return nil, false, err
	}
	if sr.Form == nil {
		sr.Form = url.Values{}
	}
	return &fosite.Request{
		ID:                sr.ID,
		RequestedAt:       sr.RequestedAt,
		Client:            client,
		RequestedScope:    sr.RequestedScope,
		GrantedScope:      sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience,
		GrantedAudience:   sr.GrantedAudience,
		Form:              sr.Form,
		Session:           session,
	}, active, nil
}

// remove deletes the row under kind and signature; deleting a row that is
// gone already is not an error (revocation is idempotent).
func (f *FositeStore) remove(ctx context.Context, op, kind, signature string) error {
	_, err := f.s.exec(ctx, `DELETE FROM oauth_requests WHERE kind = ? AND signature = ?`, kind, signature)
	return wrapErr(op, err)
}

func expiresAt(req fosite.Requester, t fosite.TokenType) time.Time {
	if req == nil || req.GetSession() == nil {
		return time.Time{}
	}
	return req.GetSession().GetExpiresAt(t)
}

// CreateAuthorizeCodeSession stores the request of an authorization code.
func (f *FositeStore) CreateAuthorizeCodeSession(ctx context.Context, signature string, req fosite.Requester) error {
	return f.create(ctx, "create authorize code", requestCode, signature, "", req, expiresAt(req, fosite.AuthorizeCode))
}

// GetAuthorizeCodeSession returns the request of an authorization code; for
// a used code it returns the request and fosite.ErrInvalidatedAuthorizeCode.
func (f *FositeStore) GetAuthorizeCodeSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, err := f.get(ctx, "get authorize code", requestCode, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession marks a code used. Only one of several
// concurrent exchanges of the same code gets past this.
func (f *FositeStore) InvalidateAuthorizeCodeSession(ctx context.Context, signature string) error {
	res, err := f.s.exec(ctx, `UPDATE oauth_requests SET active = FALSE WHERE kind = ? AND signature = ? AND active`,
		requestCode, signature)
	if err != nil {
		return wrapErr("invalidate authorize code", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapErr("invalidate authorize code", err)
	} else if n == 0 {
		return fmt.Errorf("store: invalidate authorize code: %w: %w", ErrConflict, fosite.ErrInvalidatedAuthorizeCode)
	}
	return nil
}

// CreateAccessTokenSession stores the request of an access token.
func (f *FositeStore) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return f.create(ctx, "create access token", requestAccess, signature, "", req, expiresAt(req, fosite.AccessToken))
}

// GetAccessTokenSession returns the request of an access token.
func (f *FositeStore) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, err := f.get(ctx, "get access token", requestAccess, signature, session)
	return req, err
}

// DeleteAccessTokenSession deletes an access token.
func (f *FositeStore) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return f.remove(ctx, "delete access token", requestAccess, signature)
}

// CreateRefreshTokenSession stores the request of a refresh token and the
// access token issued with it.
func (f *FositeStore) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, req fosite.Requester) error {
	return f.create(ctx, "create refresh token", requestRefresh, signature, accessSignature, req, expiresAt(req, fosite.RefreshToken))
}

// GetRefreshTokenSession returns the request of a refresh token; for a
// rotated or revoked one it returns the request and fosite.ErrInactiveToken,
// which makes fosite revoke the whole grant (reuse detection).
func (f *FositeStore) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, err := f.get(ctx, "get refresh token", requestRefresh, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteRefreshTokenSession deletes a refresh token.
func (f *FositeStore) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return f.remove(ctx, "delete refresh token", requestRefresh, signature)
}

// RotateRefreshToken retires the refresh token that is being exchanged and
// the access tokens issued before it. The refresh token stays, inactive, so
// that its reuse is detected. Of two concurrent refreshes with one token only
// one gets past this.
func (f *FositeStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	return f.s.InTx(ctx, func(ctx context.Context) error {
		res, err := f.s.exec(ctx, `UPDATE oauth_requests SET active = FALSE WHERE kind = ? AND signature = ? AND active`,
			requestRefresh, signature)
		if err != nil {
			return wrapErr("rotate refresh token", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrapErr("rotate refresh token", err)
		} else if n == 0 {
			return fmt.Errorf("store: rotate refresh token: %w: %w", ErrConflict, fosite.ErrSerializationFailure)
		}
		_, err = f.s.exec(ctx, `DELETE FROM oauth_requests WHERE kind = ? AND request_id = ?`, requestAccess, requestID)
		return wrapErr("rotate refresh token", err)
	})
}

// RevokeRefreshToken deactivates every refresh token of the grant requestID.
func (f *FositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	_, err := f.s.exec(ctx, `UPDATE oauth_requests SET active = FALSE WHERE kind = ? AND request_id = ?`,
		requestRefresh, requestID)
	return wrapErr("revoke refresh tokens", err)
}

// RevokeAccessToken deletes every access token of the grant requestID.
func (f *FositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	_, err := f.s.exec(ctx, `DELETE FROM oauth_requests WHERE kind = ? AND request_id = ?`, requestAccess, requestID)
	return wrapErr("revoke access tokens", err)
}

// CreatePKCERequestSession stores the PKCE challenge of an authorization code.
func (f *FositeStore) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return f.create(ctx, "create pkce session", requestPKCE, signature, "", req, expiresAt(req, fosite.AuthorizeCode))
}

// GetPKCERequestSession returns the PKCE challenge of an authorization code.
func (f *FositeStore) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, err := f.get(ctx, "get pkce session", requestPKCE, signature, session)
	return req, err
}

// DeletePKCERequestSession deletes the PKCE challenge of an authorization
// code. The exchange does not wait for the delete's commit (see
// removeLater): the code's single use rests on its invalidation, which the
// exchange does wait for.
func (f *FositeStore) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return f.removeLater(ctx, "delete pkce session", requestPKCE, signature)
}

// oidcKey is how an OpenID Connect session is keyed: fosite hands over the
// authorization code itself, which is never stored.
func oidcKey(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// CreateOpenIDConnectSession stores the OpenID Connect request of an
// authorization code.
func (f *FositeStore) CreateOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) error {
	return f.create(ctx, "create openid connect session", requestOIDC, oidcKey(code), "", req, expiresAt(req, fosite.AuthorizeCode))
}

// GetOpenIDConnectSession returns the OpenID Connect request of an
// authorization code, decoding its session into requester's.
func (f *FositeStore) GetOpenIDConnectSession(ctx context.Context, code string, requester fosite.Requester) (fosite.Requester, error) {
	if requester == nil {
		return nil, errors.New("store: get openid connect session: no requester")
	}
	req, _, err := f.get(ctx, "get openid connect session", requestOIDC, oidcKey(code), requester.GetSession())
	return req, err
}

// DeleteOpenIDConnectSession deletes the OpenID Connect request of an
// authorization code, once the code has been exchanged and invalidated, so
// the exchange does not wait for the delete's commit (see removeLater).
func (f *FositeStore) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return f.removeLater(ctx, "delete openid connect session", requestOIDC, oidcKey(code))
}

// removeLater deletes a request that nothing can use once its code is
// invalidated. Outside a transaction on SQLite it hands the delete to the
// writer without waiting for its commit: each exchange would otherwise wait
// for two more fsyncs, one after the other. Should the host stop first, the
// row expires with its code.
//
// Until that commit, this store answers as if the row were gone already.
func (f *FositeStore) removeLater(ctx context.Context, op, kind, signature string) error {
	if _, inTx := f.s.txFrom(ctx); f.s.writer == nil || inTx {
		return f.remove(ctx, op, kind, signature)
	}
	key := deletingKey(kind, signature)
	f.s.deleting.Store(key, struct{}{})
	return f.s.writer.later(ctx, func(ctx context.Context) error {
		return f.remove(ctx, op, kind, signature)
	}, func() { f.s.deleting.Delete(key) })
}

// deletingKey names a row removeLater is deleting.
func deletingKey(kind, signature string) string { return kind + "\x00" + signature }

// ownedTxKey marks a transaction that BeginTX started, so that only its
// Commit or Rollback ends it. Its value is an *ownedTx, nil when BeginTX
// joined a transaction of someone else.
type ownedTxKey struct{ s *SQLStore }

// ownedTx is a transaction BeginTX started: on the pool (PostgreSQL), or a
// member of the SQLite writer's group commit that waits for its caller.
type ownedTx struct {
	tx    *sql.Tx
	end   chan bool  // member: true commits, false rolls back
	done  chan error // member: the writer's answer, once the batch is durable
	ended bool
}

// errRolledBack ends a group-commit member that its caller rolled back.
var errRolledBack = errors.New("store: transaction rolled back")

// abandonGrace is how long a group-commit member stays open after the
// request that began it ended: long enough for a handler whose client went
// away to finish, short enough that one whose handler panicked between
// BeginTX and Commit does not hold up every write of the host for ever.
const abandonGrace = time.Second

// await waits in the writer for the caller to end a member, or gives it up
// abandonGrace after ctx, the caller's request, ended.
func (o *ownedTx) await(ctx context.Context) error {
	select {
	case commit := <-o.end:
		return memberOutcome(commit)
	case <-ctx.Done():
	}
	grace := time.NewTimer(abandonGrace)
	defer grace.Stop()
	select {
	case commit := <-o.end:
		return memberOutcome(commit)
	case <-grace.C:
		return errAbandoned
	}
}

func memberOutcome(commit bool) error {
	if commit {
		return nil
	}
	return errRolledBack
}

// finish commits or rolls back the transaction.
func (o *ownedTx) finish(commit bool) error {
	if o.ended {
		if commit {
			return sql.ErrTxDone
		}
		return nil
	}
	o.ended = true
	if o.end != nil {
		o.end <- commit
		if err := <-o.done; err != nil && !errors.Is(err, errRolledBack) {
			return err
		}
		return nil
	}
	if commit {
		return o.tx.Commit()
	}
	if err := o.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// BeginTX starts a transaction carried by the returned context, in which
// every method of the store (and of the SQLStore) runs. Inside a transaction
// started by [SQLStore.InTx] it joins that one, and Commit and Rollback leave
// it to its owner. End it promptly: on SQLite it holds up the store's writer.
func (f *FositeStore) BeginTX(ctx context.Context) (context.Context, error) {
	if _, ok := f.s.txFrom(ctx); ok {
		return context.WithValue(ctx, ownedTxKey{f.s}, (*ownedTx)(nil)), nil
	}
	if f.s.writer != nil {
		return f.beginMember(ctx)
	}
	tx, err := f.s.db.BeginTx(ctx, nil)
	if err != nil {
		return ctx, fmt.Errorf("store: begin transaction: %w", err)
	}
	o := &ownedTx{tx: tx}
	return context.WithValue(f.s.withTx(ctx, tx), ownedTxKey{f.s}, o), nil
}

// beginMember starts a SQLite transaction as one function of the writer's
// group commit, which waits in the writer until Commit or Rollback. So the
// token writes of concurrent exchanges and refreshes share an fsync (each in
// its own savepoint) instead of committing one at a time. Like every
// function of the writer, its statements run without ctx's cancellation,
// which would roll back the whole batch. A member its caller never ends is
// given up (await), and with it the batch it is in.
func (f *FositeStore) beginMember(ctx context.Context) (context.Context, error) {
	o := &ownedTx{end: make(chan bool, 1), done: make(chan error, 1)}
	started := make(chan context.Context, 1)
	go func() {
		o.done <- f.s.InTx(ctx, func(txCtx context.Context) error {
			started <- txCtx
			return o.await(ctx)
		})
	}()
	select {
	case txCtx := <-started:
		return context.WithValue(txCtx, ownedTxKey{f.s}, o), nil
	case err := <-o.done:
		return ctx, err
	}
}

// Commit commits the transaction BeginTX started.
func (f *FositeStore) Commit(ctx context.Context) error {
	o, ok := ctx.Value(ownedTxKey{f.s}).(*ownedTx)
	if !ok {
		return errors.New("store: commit: no transaction in context")
	}
	if o == nil {
		return nil
	}
	if err := o.finish(true); err != nil {
		return fmt.Errorf("store: commit transaction: %w", err)
	}
	return nil
}

// Rollback rolls back the transaction BeginTX started.
func (f *FositeStore) Rollback(ctx context.Context) error {
	o, ok := ctx.Value(ownedTxKey{f.s}).(*ownedTx)
	if !ok {
		return errors.New("store: rollback: no transaction in context")
	}
	if o == nil {
		return nil
	}
	if err := o.finish(false); err != nil {
		return fmt.Errorf("store: roll back transaction: %w", err)
	}
	return nil
}

// DeleteExpiredOAuth deletes what the provider no longer needs at now:
// expired codes, tokens, PKCE and OpenID Connect sessions, client-assertion
// ids, login flows, mfa_tokens and retired keys past their expiry. It returns
// how many rows went.
func (s *SQLStore) DeleteExpiredOAuth(ctx context.Context, now time.Time) (int64, error) {
	if now.IsZero() {
		now = s.now()
	}
	at := toMicros(now)
	var total int64
	for _, q := range []struct{ op, sql string }{
		{"delete expired oauth requests", `DELETE FROM oauth_requests WHERE expires_at IS NOT NULL AND expires_at <= ?`},
		{"delete expired client assertion ids", `DELETE FROM oauth_jtis WHERE expires_at <= ?`},
		{"delete expired login flows", `DELETE FROM oauth_login_flows WHERE expires_at <= ?`},
		{"delete expired mfa tokens", `DELETE FROM oauth_mfa_tokens WHERE expires_at <= ?`},
		{"delete expired signing keys", `DELETE FROM oauth_keys WHERE retired_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ?`},
	} {
		res, err := s.exec(ctx, q.sql, at)
		if err != nil {
			return total, wrapErr(q.op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrapErr(q.op, err)
		}
		total += n
	}
	return total, nil
}
