package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"
)

// clientRecheck is how long a client checked against the database
// authenticates requests without being checked again: the bound on how late
// a change made by another process (another host, the CLI) takes effect on
// this one. Changes made through this store take effect once they commit,
// and a token's client is always the current one (see FositeStore.get).
//
// Every token request, introspection and revocation authenticates a client
// and reads the client of a token; a query and the decoding of a client's
// six JSON lists each time cost more than the rest of an introspection, so
// the store keeps decoded clients by id (SQLStore.clients).
const clientRecheck = time.Second

// GetClient returns the client with the given id as a fosite.Client: the
// one kept if it was checked against the database within clientRecheck, or
// else the current one, decoded only when its revision has changed.
func (f *FositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	if c, ok := f.s.clients.fresh(id, f.s.now()); ok {
		return &c, nil // c is a copy: callers get their own struct
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
	if c, ok := f.s.clients.renew(id, now, func(c OAuthClient) bool { return c.Revision == rev }); ok {
		return &c, nil
	}
	c, err := f.s.GetOAuthClient(ctx, id)
	if err != nil {
		return nil, clientError(id, err)
	}
	f.s.clients.put(id, c, now, gen)
	return &c, nil
}

// clientError marks a missing client as fosite.ErrNotFound too.
func clientError(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", err, fosite.ErrNotFound)
	}
	return fmt.Errorf("client %q: %w", id, err)
}
