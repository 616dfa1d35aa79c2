-- SQLite keeps the access log in its own file beside the main database, so a long write
-- there (an import of 200,000 points) never blocks the log line a child read must write.
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
