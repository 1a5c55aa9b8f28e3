-- +goose Up
-- A user's phone number was kept in plain text beside the SMS factor's
-- sealed one. The host has no use for it (the SMS factor keeps its own number,
-- sealed), so it goes.
ALTER TABLE users DROP COLUMN phone;

-- +goose Down
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
