package store

import (
	"context"
	"errors"
	"fmt"
)

// nextID returns the next value of the named id sequence. The sequence row
// stays locked until the surrounding transaction ends, which serialises
// concurrent callers on PostgreSQL; SQLite serialises writers anyway.
func (s *SQLStore) nextID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `INSERT INTO id_sequences (name, last_value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET last_value = id_sequences.last_value + 1
		RETURNING last_value`, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", name, err)
	}
	return id, nil
}

// EnsureDefaultOrg returns the organisation named DefaultOrgName, creating it
// on first use.
func (s *SQLStore) EnsureDefaultOrg(ctx context.Context) (Org, error) {
	org, err := s.orgByName(ctx, DefaultOrgName)
	if !errors.Is(err, ErrNotFound) {
		return org, err
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "orgs")
		if err != nil {
			return err
		}
		// A concurrent creator may have won; then this insert does nothing
		// and the lookup below returns the winner's row.
		_, err = s.exec(ctx, `INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, id, DefaultOrgName, toMicros(s.now()))
		return err
	})
	if err != nil {
		return Org{}, wrapErr("ensure default org", err)
	}
	return s.orgByName(ctx, DefaultOrgName)
}

// GetOrg returns the organisation with the given id.
func (s *SQLStore) GetOrg(ctx context.Context, id int64) (Org, error) {
	var (
		o       Org
		created int64
	)
	err := s.queryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, &created)
	if err != nil {
		return Org{}, wrapErr("get org", err)
	}
	o.CreatedAt = fromMicros(created)
	return o, nil
}

func (s *SQLStore) orgByName(ctx context.Context, name string) (Org, error) {
	var (
		o       Org
		created int64
	)
	err := s.queryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE name = ?`, name).
		Scan(&o.ID, &o.Name, &created)
	if err != nil {
		return Org{}, wrapErr("get org by name", err)
	}
	o.CreatedAt = fromMicros(created)
	return o, nil
}
