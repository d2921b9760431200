-- Accounts linked to a single sign-on identity (OpenID Connect). A person is
-- found by the provider's stable subject, never by email alone: `sub`, or
-- for Microsoft Entra ID (NHSmail) the tenant and object ids (tid/oid).
CREATE TABLE identity_links (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The provider's id in the settings when linked (its button).
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The address the provider gave when linked, to show on "Your account".
    email TEXT,
    linked_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX identity_links_by_subject ON identity_links (issuer, subject);
CREATE INDEX identity_links_by_user ON identity_links (user_id);
