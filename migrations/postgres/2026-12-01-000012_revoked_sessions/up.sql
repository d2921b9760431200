-- Sessions ended by logging out: the session cookie is signed and encrypted,
-- so a copy kept from before would otherwise still work until it expires.
-- Each session's random id is kept here (as a SHA-256 digest) once ended.
CREATE TABLE revoked_sessions (
    session_digest TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_sessions_by_time ON revoked_sessions (revoked_at);
