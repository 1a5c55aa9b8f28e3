-- +goose Up
-- Failure counters are keyed by an opaque string: a user id for second-factor
-- attempts, and other keys (a user name with a client address, say) for
-- counters a caller keeps about things that are not users. A counter may
-- therefore name no user, so it has no foreign key; the rows of the former
-- per-user table keep their counts under the user id.
CREATE TABLE lockout_counters (
    counter_key  TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    lock_count   INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    updated_at   BIGINT  NOT NULL
);
INSERT INTO lockout_counters (counter_key, failures, lock_count, locked_until, updated_at)
    SELECT user_id, failures, lock_count, locked_until, updated_at FROM lockouts;
DROP TABLE lockouts;

-- +goose Down
CREATE TABLE lockouts (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures     INTEGER NOT NULL DEFAULT 0,
    lock_count   INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    updated_at   BIGINT  NOT NULL
);
INSERT INTO lockouts (user_id, failures, lock_count, locked_until, updated_at)
    SELECT counter_key, failures, lock_count, locked_until, updated_at FROM lockout_counters
    WHERE counter_key IN (SELECT id FROM users);
DROP TABLE lockout_counters;
