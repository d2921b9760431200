-- Two-factor sign-in (RFC 6238 one-time codes from an authenticator app).
-- The shared secret is kept sealed with a key derived from the server's
-- secret key, so the database alone cannot make codes. last_step is the
-- 30-second step of the last code accepted: a code is taken once only.
CREATE TABLE two_factor_keys (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    enrolled_at TIMESTAMP NOT NULL,
    last_step BIGINT NOT NULL
);

-- Recovery codes, shown once at enrolment; each works once. Kept as
-- SHA-256 digests (they are random, 50 bits and more).
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_digest TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);
