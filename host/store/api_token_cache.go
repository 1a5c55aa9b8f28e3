package store

import (
	"bytes"
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"
)

// Bounds of the API tokens a store keeps.
const (
	// tokenCacheSize is more tokens than are in use at once; past it, some
	// other token is dropped.
	tokenCacheSize = 4096
	// tokenRecheck is how long a token read from the database authenticates
	// requests without being read again: the bound on how late a change made
	// by another process (another host, the CLI) takes effect on this one,
	// such as a token deleted or its user disabled there. Changes made
	// through this store take effect at once. A token's expiry is checked
	// on every use.
	tokenRecheck = time.Second
)

// tokenCache keeps API tokens with their users by token hash. Every call of
// the API authenticates its token; reading it each time was an eighth of a
// verification's CPU and one of its three round trips. A hash that matches
// no token is never kept. Its zero value is ready and it is safe for
// concurrent use.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cachedToken
	// gen counts forget calls, so that a token read before a change made
	// here is not kept after it.
	gen uint64
}

type cachedToken struct {
	t    APIToken
	u    User
	read time.Time
}

// fresh returns the kept token with hash and its user if they were read
// less than tokenRecheck before now.
func (tc *tokenCache) fresh(hash []byte, now time.Time) (APIToken, User, bool) {
	tc.mu.RLock()
	e, ok := tc.m[string(hash)]
	tc.mu.RUnlock()
	if !ok || now.Sub(e.read) >= tokenRecheck || now.Before(e.read) {
		return APIToken{}, User{}, false
	}
	e.t.Hash = slices.Clone(e.t.Hash)
	return e.t, e.u, true
}

// generation returns the count of forget calls, for put.
func (tc *tokenCache) generation() uint64 {
	tc.mu.RLock()
	defer tc.mu.RUnlock()
	return tc.gen
}

// put keeps t and u, read from the database at now, unless something was
// forgotten since gen.
func (tc *tokenCache) put(t APIToken, u User, now time.Time, gen uint64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.gen != gen {
		return
	}
	if tc.m == nil {
		tc.m = map[string]cachedToken{}
	}
	key := string(t.Hash)
	if _, ok := tc.m[key]; !ok && len(tc.m) >= tokenCacheSize {
		for k := range tc.m {
			delete(tc.m, k)
			break
		}
	}
	t.Hash = slices.Clone(t.Hash)
	tc.m[key] = cachedToken{t: t, u: u, read: now}
}

// touched records the last use of the kept token id, so that a kept token
// does not ask for its use to be recorded again on every request.
func (tc *tokenCache) touched(id string, at time.Time) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for k, e := range tc.m {
		if e.t.ID == id {
			e.t.LastUsedAt = at
			tc.m[k] = e
			return
		}
	}
}

// forget drops every kept token. Changes of tokens and users are rare, and
// one user's change can concern any token (the user's own, or the admin
// flag a token's principal carries), so they drop them all.
func (tc *tokenCache) forget() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	clear(tc.m)
	tc.gen++
}

// GetAPITokenWithUser returns the token with the given hash and its user:
// the ones kept if read within tokenRecheck, or else those in the database.
func (s *SQLStore) GetAPITokenWithUser(ctx context.Context, hash []byte) (APIToken, User, error) {
	if len(hash) == 0 {
		return APIToken{}, User{}, wrapErr("get api token", sql.ErrNoRows)
	}
	now := s.now()
	if t, u, ok := s.tokens.fresh(hash, now); ok {
		return t, u, nil
	}
	gen := s.tokens.generation()
	var (
		t tokenRow
		u userRow
	)
	if err := s.queryRow(ctx, tokenAndUserQuery, hash).Scan(append(t.dest(), u.dest()...)...); err != nil {
		return APIToken{}, User{}, wrapErr("get api token", err)
	}
	tok, user := t.token(), u.user()
	if bytes.Equal(tok.Hash, hash) {
		s.tokens.put(tok, user, now, gen)
	}
	return tok, user, nil
}
