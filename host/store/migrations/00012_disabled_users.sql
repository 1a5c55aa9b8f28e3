-- +goose Up
-- A disabled user signs in at no door and their tokens are refused; NULL is
-- an enabled user.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN disabled_at;
