-- Every public signing key an organisation has used, so a certificate
-- signed before a key was lost or replaced still verifies against the
-- organisation's published history. The private keys stay in files.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    first_used_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
CREATE INDEX signing_keys_by_organisation ON signing_keys (organisation_id, first_used_at);
