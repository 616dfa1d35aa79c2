-- Every committed write appends the ids it changed; each server instance replays what it
-- has not seen (after a NOTIFY on PostgreSQL, or by polling), so indexes never drift.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    collection TEXT NOT NULL,
    id TEXT NOT NULL
);
