-- Tokens get a life: a public id to list and revoke them by (random, never derived from the
-- secret), an expiry date (the last day in Japan on which the token is accepted), the time it
-- was revoked, the time it was last used (written in batches, to the minute), and, for a
-- family sign-in issued as a QR code, the child it was issued for (a newer issue for that
-- child revokes it). Revoked tokens are kept, so the list can still say who held what.
-- SQLite cannot add a NOT NULL column without a default; the store always sets the id and
-- the unique index keeps it one per token.
ALTER TABLE tokens ADD COLUMN id TEXT;
UPDATE tokens SET id = 'tok-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX tokens_id ON tokens (id);
ALTER TABLE tokens ADD COLUMN expires_on TEXT;
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE tokens ADD COLUMN sign_in_child_id TEXT;
CREATE INDEX tokens_sign_in_child ON tokens (sign_in_child_id);
