-- The store keeps each resource's properties as one JSON document beside its point:
-- the contract owns the shape, the table owns identity and place.
CREATE TABLE power_points (
    id TEXT PRIMARY KEY NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    properties TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE shelters (
    id TEXT PRIMARY KEY NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    properties TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE children (
    id TEXT PRIMARY KEY NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    properties TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Tokens are stored only as SHA-256 hashes; the secret is printed once.
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('family', 'coordinator', 'planner')),
    demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE token_children (
    token_hash TEXT NOT NULL REFERENCES tokens (hash) ON DELETE CASCADE,
    child_id TEXT NOT NULL,
    PRIMARY KEY (token_hash, child_id)
);

-- Append-only record of every read or write of a child's data.
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    token_name TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    child_id TEXT
);
CREATE INDEX access_log_child ON access_log (child_id, seq);
