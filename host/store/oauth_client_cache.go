package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ory/fosite"
)

// Bounds of the decoded clients a store keeps.
const (
	// clientCacheSize is far more clients than a deployment has.
	clientCacheSize = 4096
	// clientRecheck is how long a client checked against the database
	// authenticates requests without being checked again: the bound on how
	// late a change made by another process (another host, the CLI) takes
	// effect on this one. Changes made through this store take effect at
	// once, and so does a token's client (see FositeStore.get).
	clientRecheck = time.Second
)

// clientCache keeps decoded clients by id, each with its revision and when
// that revision was last seen in the database. Every token request,
// introspection and revocation authenticates a client and reads the client
// of a token; a query and the decoding of a client's six JSON lists each
// time cost more than the rest of an introspection. Its zero value is ready
// and it is safe for concurrent use.
type clientCache struct {
	mu sync.RWMutex
	m  map[string]cachedClient
	// gen counts forget calls, so that a client read before a change made
	// here is not kept after it.
	gen uint64
}

type cachedClient struct {
	c       OAuthClient
	checked time.Time
}

// fresh returns a copy of the kept client id if it was checked against the
// database less than clientRecheck before now.
func (cc *clientCache) fresh(id string, now time.Time) (*OAuthClient, bool) {
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if !ok || now.Sub(e.checked) >= clientRecheck || now.Before(e.checked) {
		return nil, false
	}
	return &e.c, true // e is a copy: callers get their own struct
}

// at returns a copy of the kept client id if it is at revision rev, which
// was read at now, and notes that it was checked then.
func (cc *clientCache) at(id string, rev int64, now time.Time) (*OAuthClient, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	e, ok := cc.m[id]
	if !ok || e.c.Revision != rev {
		return nil, false
	}
	e.checked = now
	cc.m[id] = e
	return &e.c, true
}

// generation returns the count of forget calls, for put.
func (cc *clientCache) generation() uint64 {
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	return cc.gen
}

// put keeps c, read from the database at now, unless a client was forgotten
// since gen; when full it drops some other client.
func (cc *clientCache) put(c OAuthClient, now time.Time, gen uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.gen != gen {
		return
	}
	if cc.m == nil {
		cc.m = map[string]cachedClient{}
	}
	if _, ok := cc.m[c.ID]; !ok && len(cc.m) >= clientCacheSize {
		for id := range cc.m {
			delete(cc.m, id)
			break
		}
	}
	cc.m[c.ID] = cachedClient{c: c, checked: now}
}

// forget drops the kept client id; every change of a client made through
// the store calls it.
func (cc *clientCache) forget(id string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.m, id)
	cc.gen++
}

// GetClient returns the client with the given id as a fosite.Client: the
// one kept if it was checked against the database within clientRecheck, or
// else the current one, decoded only when its revision has changed.
func (f *FositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	if c, ok := f.s.clients.fresh(id, f.s.now()); ok {
		return c, nil
	}
	gen := f.s.clients.generation()
	var rev int64
	err := f.s.queryRow(ctx, `SELECT revision FROM oauth_clients WHERE id = ?`, id).Scan(&rev)
	if err != nil {
		return nil, clientError(id, wrapErr("get oauth client", err))
	}
	return f.client(ctx, id, rev, gen)
}

// client returns the client id at revision rev, which the caller has just
// read after taking gen: the one kept, or else the one in the database
// (which may be newer still), decoded and kept.
func (f *FositeStore) client(ctx context.Context, id string, rev int64, gen uint64) (*OAuthClient, error) {
	now := f.s.now()
	if c, ok := f.s.clients.at(id, rev, now); ok {
		return c, nil
	}
	c, err := f.s.GetOAuthClient(ctx, id)
	if err != nil {
		return nil, clientError(id, err)
	}
	f.s.clients.put(c, now, gen)
	return &c, nil
}

// clientError marks a missing client as fosite.ErrNotFound too.
func clientError(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", err, fosite.ErrNotFound)
	}
	return fmt.Errorf("client %q: %w", id, err)
}
