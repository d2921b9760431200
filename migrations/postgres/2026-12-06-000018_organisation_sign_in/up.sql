-- How an organisation's staff sign in: with staff_sso_only, those holding
-- one of its roles (administrator, returning officer, committee member,
-- LMC observer) must use a single sign-on provider; their passwords are
-- refused. Practice representatives keep passwords and voting links.
CREATE TABLE organisation_sign_in (
    organisation_id INTEGER PRIMARY KEY NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    staff_sso_only BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
