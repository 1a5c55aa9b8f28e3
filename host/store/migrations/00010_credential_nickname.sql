-- +goose Up
-- The name a user gives one of their factors ("Work phone"), shown on the
-- account page beside the factor's own name. Empty: none given.
ALTER TABLE credentials ADD COLUMN nickname TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE credentials DROP COLUMN nickname;
