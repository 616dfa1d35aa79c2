-- What belongs to a child refers to it by a foreign key, and goes with it when it is
-- deleted, in the same transaction: an id used again later inherits no plan and no family
-- binding. SQLite adds foreign keys only by rebuilding the table; rows of children already
-- gone (orphans a race could leave before this) are the ones not copied.
-- Later per-child tables follow the same pattern: `child_id TEXT NOT NULL REFERENCES
-- children (id) ON DELETE CASCADE`.
CREATE TABLE plans_new (
    child_id TEXT NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (child_id, version)
);
INSERT INTO plans_new (child_id, version, body, author, created_at)
    SELECT child_id, version, body, author, created_at FROM plans WHERE child_id IN (SELECT id FROM children);
DROP TABLE plans;
ALTER TABLE plans_new RENAME TO plans;

CREATE TABLE token_children_new (
    token_hash TEXT NOT NULL REFERENCES tokens (hash) ON DELETE CASCADE,
    child_id TEXT NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    PRIMARY KEY (token_hash, child_id)
);
INSERT INTO token_children_new (token_hash, child_id)
    SELECT token_hash, child_id FROM token_children
    WHERE child_id IN (SELECT id FROM children) AND token_hash IN (SELECT hash FROM tokens);
DROP TABLE token_children;
ALTER TABLE token_children_new RENAME TO token_children;
-- The cascade looks bindings up by child.
CREATE INDEX token_children_child ON token_children (child_id);
