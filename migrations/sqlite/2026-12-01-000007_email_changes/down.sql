DELETE FROM password_tokens WHERE purpose = 'email_change';
CREATE TABLE password_tokens_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
INSERT INTO password_tokens_old SELECT id, user_id, purpose, token_digest, created_at, expires_at, used_at FROM password_tokens;
DROP TABLE password_tokens;
ALTER TABLE password_tokens_old RENAME TO password_tokens;
CREATE INDEX password_tokens_by_user ON password_tokens (user_id, created_at);
