-- Every committed write appends the ids it changed; each server instance replays what it
-- has not seen (after a NOTIFY on PostgreSQL, or by polling), so indexes never drift.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    id TEXT NOT NULL
);
