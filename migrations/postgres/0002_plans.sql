-- Plans are versioned: every PUT adds a row, none is ever updated, so history is exact.
CREATE TABLE plans (
    child_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (child_id, version)
);
