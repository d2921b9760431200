-- A single sign-on identity no account is linked to can be linked by a link
-- emailed to the account's address. The link works only in the browser that
-- signed in with the provider (its session holds the same identity), so an
-- address's owner cannot be tricked into linking someone else's sign-in.
CREATE TABLE sso_link_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The address the provider gave, if any, to show on "Your account".
    provider_email TEXT,
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX sso_link_requests_by_user ON sso_link_requests (user_id, created_at);

-- An organisation may let staff of its member practices ask for a practice
-- representative account by signing in with NHS CIS2, whose organisation
-- claims name their practice; the account waits for an administrator.
ALTER TABLE organisation_sign_in ADD COLUMN practice_staff_may_join BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE account_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    provider TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decision TEXT CHECK (decision IN ('approved', 'refused')),
    decided_at TIMESTAMP,
    decided_by TEXT,
    reason TEXT
);
CREATE INDEX account_requests_waiting ON account_requests (organisation_id, decision);
CREATE UNIQUE INDEX one_open_request_per_practice
    ON account_requests (user_id, practice_id) WHERE decision IS NULL;
