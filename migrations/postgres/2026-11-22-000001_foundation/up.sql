-- Accounts, roles, the minimal register that roles point at, login throttle
-- and first-run setup. Times are UTC.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    kind TEXT NOT NULL CHECK (kind IN ('ccg', 'lmc', 'federation', 'pcn')),
    ods_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organisation_lmcs (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    lmc_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (organisation_id, lmc_id)
);

CREATE TABLE practices (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    ods_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    joined_on DATE NOT NULL,
    left_on DATE,
    CHECK (left_on IS NULL OR left_on >= joined_on)
);
CREATE INDEX memberships_by_organisation ON memberships (organisation_id, practice_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sessions_valid_after TIMESTAMP NOT NULL
);

CREATE TABLE user_roles (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system_admin', 'org_admin', 'returning_officer', 'practice_rep', 'lmc_observer', 'committee_member')),
    organisation_id INTEGER REFERENCES organisations (id),
    practice_id INTEGER REFERENCES practices (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (
        (role = 'system_admin' AND organisation_id IS NULL AND practice_id IS NULL)
        OR (role = 'practice_rep' AND organisation_id IS NULL AND practice_id IS NOT NULL)
        OR (role IN ('org_admin', 'returning_officer', 'lmc_observer', 'committee_member')
            AND organisation_id IS NOT NULL AND practice_id IS NULL)
    )
);
CREATE INDEX user_roles_by_user ON user_roles (user_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_by_subject ON login_failures (subject, failed_at);

CREATE TABLE login_lockouts (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    subject TEXT NOT NULL,
    locked_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP NOT NULL
);
CREATE INDEX login_lockouts_by_subject ON login_lockouts (subject, locked_until);

CREATE TABLE setup_tokens (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
