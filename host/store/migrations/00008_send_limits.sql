-- +goose Up
-- Send limits keep the right to send a message (an SMS code) per user and
-- factor, and the budgets every send takes a unit from (per user and hour, per
-- destination and day, for the whole deployment per minute). Keys are opaque:
-- a destination is a keyed hash the factor computed, never a phone number.
-- A slot row uses held_until; a budget row uses window_start and used.
CREATE TABLE send_limits (
    limit_key    TEXT    NOT NULL PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0,
    held_until   BIGINT
);

-- +goose Down
DROP TABLE send_limits;
