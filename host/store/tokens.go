package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

const tokenColumns = `id, user_id, name, hash, admin, created_at, last_used_at, expires_at`

// tokenRow receives the tokenColumns of one row.
type tokenRow struct {
	t             APIToken
	created       int64
	used, expires sql.NullInt64
}

func (r *tokenRow) dest() []any {
	return []any{&r.t.ID, &r.t.UserID, &r.t.Name, &r.t.Hash, &r.t.Admin, &r.created, &r.used, &r.expires}
}

func (r *tokenRow) token() APIToken {
	t := r.t
	t.CreatedAt = fromMicros(r.created)
	t.LastUsedAt = fromNullMicros(r.used)
	t.ExpiresAt = fromNullMicros(r.expires)
	return t
}

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var r tokenRow
	if err := row.Scan(r.dest()...); err != nil {
		return APIToken{}, err
	}
	return r.token(), nil
}

// CreateAPIToken inserts t and returns it as stored.
func (s *SQLStore) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	if t.ID == "" || t.UserID == "" || len(t.Hash) == 0 {
		return APIToken{}, errors.New("store: create api token: id, user id and hash are required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = normTime(t.CreatedAt), normTime(t.LastUsedAt), normTime(t.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hash, t.Admin, toMicros(t.CreatedAt), nullMicros(t.LastUsedAt), nullMicros(t.ExpiresAt))
	if err != nil {
		return APIToken{}, wrapErr("create api token", err)
	}
	return t, nil
}

// GetAPITokenByHash returns the token with the given hash.
func (s *SQLStore) GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	if len(hash) == 0 {
		return APIToken{}, wrapErr("get api token", sql.ErrNoRows)
	}
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	if err != nil {
		return APIToken{}, wrapErr("get api token", err)
	}
	return t, nil
}

// tokenAndUserQuery reads a token with its user: every authenticated request
// needs both, and one round trip is half the cost of two.
var tokenAndUserQuery = `SELECT ` + qualify("t", tokenColumns) + `, ` + qualify("u", userColumns) + `
	FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`

// tokenRecheck is how long a token and its user, read from the database,
// authenticate requests without being read again (SQLStore.tokens): the
// bound on how late a change made by another process (another host, the
// CLI) takes effect on this one, which the operator's changes wait out
// (AwaitTokenRecheck). A change made through this store, such as revoking
// the token or disabling its user, takes effect here once it commits.
// The read costs about a tenth of a verification's processor time on SQLite
// and one of three round trips on PostgreSQL.
const tokenRecheck = time.Second

// tokenWithUser is what SQLStore.tokens keeps of a token.
type tokenWithUser struct {
	t APIToken
	u User
}

// GetAPITokenWithUser returns the token with the given hash and its user,
// without the user's password hash, which no caller of a token needs and
// the store does not keep in memory. Outside a transaction the pair comes
// from the store's memory when it was read less than tokenRecheck ago.
func (s *SQLStore) GetAPITokenWithUser(ctx context.Context, hash []byte) (APIToken, User, error) {
	if len(hash) == 0 {
		return APIToken{}, User{}, wrapErr("get api token", sql.ErrNoRows)
	}
	// A transaction sees its own changes, which nothing kept has.
	_, inTx := s.txFrom(ctx)
	now := s.now()
	if !inTx {
		if kept, ok := s.tokens.fresh(string(hash), now); ok {
			return kept.t, kept.u, nil
		}
	}
	gen := s.tokens.generation()
	var (
		t tokenRow
		u userRow
	)
	if err := s.queryRow(ctx, tokenAndUserQuery, hash).Scan(append(t.dest(), u.dest()...)...); err != nil {
		return APIToken{}, User{}, wrapErr("get api token", err)
	}
	read := tokenWithUser{t: t.token(), u: u.user()}
	read.u.PasswordHash = ""
	if !inTx {
		s.tokens.put(string(hash), read, now, gen)
	}
	return read.t, read.u, nil
}

// AwaitTokenRecheck waits until every host has read again any token or user
// it kept from before a change that has just committed: tokenRecheck, or
// until ctx ends. The operator's revoke, disable, enable and delete call it,
// so that when the command or the request returns, every host honours the
// change, as when each request read the token.
func (s *SQLStore) AwaitTokenRecheck(ctx context.Context) {
	t := time.NewTimer(tokenRecheck)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// forgetTokens drops the kept tokens for which drop holds once ctx's
// transaction has ended: every change of a token or of a user made through
// the store calls it.
func (s *SQLStore) forgetTokens(ctx context.Context, drop func(tokenWithUser) bool) {
	s.afterCommit(ctx, func() { s.tokens.forgetWhere(drop) })
}

// forgetTokensOf drops the kept tokens of the user id.
func (s *SQLStore) forgetTokensOf(ctx context.Context, userID string) {
	s.forgetTokens(ctx, func(k tokenWithUser) bool { return k.u.ID == userID })
}

// ListAPITokens returns the tokens of a user, oldest first.
func (s *SQLStore) ListAPITokens(ctx context.Context, userID string) ([]APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	ts, err := collect(rows, scanToken)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	return ts, nil
}

// DeleteAPIToken deletes the token with the given id.
func (s *SQLStore) DeleteAPIToken(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	s.forgetTokens(ctx, func(k tokenWithUser) bool { return k.t.ID == id }) // also when the outcome is unknown
	if err != nil {
		return wrapErr("delete api token", err)
	}
	return wrapErr("delete api token", expectOne(res, id))
}

// TouchAPIToken records that the token was used at now.
func (s *SQLStore) TouchAPIToken(ctx context.Context, id string, now time.Time) error {
	if now.IsZero() {
		now = s.now()
	}
	res, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, toMicros(now), id)
	// Read again with its new time, or every request would touch it until
	// the kept one is rechecked.
	s.forgetTokens(ctx, func(k tokenWithUser) bool { return k.t.ID == id })
	if err != nil {
		return wrapErr("touch api token", err)
	}
	return wrapErr("touch api token", expectOne(res, id))
}
