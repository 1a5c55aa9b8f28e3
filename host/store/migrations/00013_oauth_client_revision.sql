-- +goose Up
-- revision is a random number that every change of a client row replaces, so
-- that a host may keep a client it has decoded and learn from one indexed
-- read whether it is still current. Rows from before read 0.
ALTER TABLE oauth_clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
-- The algorithm the client registered for its ID tokens (OpenID Connect
-- Dynamic Client Registration's id_token_signed_response_alg): RS256 or
-- ES256; empty takes the provider's default.
ALTER TABLE oauth_clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oauth_clients DROP COLUMN id_token_signed_response_alg;
ALTER TABLE oauth_clients DROP COLUMN revision;
