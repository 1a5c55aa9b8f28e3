-- +goose Up
-- The browser (or program) behind an audit event, as a short summary such as
-- "Firefox on Android": the account page lists a user's recent events with
-- where they came from. The full User-Agent header is never stored.
ALTER TABLE audit_events ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_events DROP COLUMN user_agent;
