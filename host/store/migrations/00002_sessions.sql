-- +goose Up
-- Browser login sessions. The cookie carries a random secret; only its hash is
-- stored, so a database dump cannot be replayed as a session.
CREATE TABLE sessions (
    hash         BYTEA PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr          TEXT NOT NULL DEFAULT '',
    auth_time    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
