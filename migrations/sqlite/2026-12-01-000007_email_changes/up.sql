-- A change of an account's email address waits in password_tokens for
-- confirmation from the new address (purpose 'email_change', with the new
-- address). SQLite cannot change a CHECK constraint in place: rebuild.
CREATE TABLE password_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset', 'email_change')),
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    new_email TEXT,
    CHECK ((purpose = 'email_change') = (new_email IS NOT NULL))
);
INSERT INTO password_tokens_new (id, user_id, purpose, token_digest, created_at, expires_at, used_at)
    SELECT id, user_id, purpose, token_digest, created_at, expires_at, used_at FROM password_tokens;
DROP TABLE password_tokens;
ALTER TABLE password_tokens_new RENAME TO password_tokens;
CREATE INDEX password_tokens_by_user ON password_tokens (user_id, created_at);
