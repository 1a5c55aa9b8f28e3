-- +goose Up
-- Where a client may send the browser after RP-initiated logout (OpenID
-- Connect RP-Initiated Logout 1.0), compared exactly, as a JSON array.
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris;
