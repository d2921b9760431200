-- What each purge under the retention settings removed: for an
-- organisation's data, signed by its key (the record is the canonical JSON
-- signed); for sign-in records, which are no organisation's, unsigned (the
-- audit log holds both).
CREATE TABLE retention_purges (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER REFERENCES organisations (id),
    purged_at TIMESTAMP NOT NULL,
    record TEXT NOT NULL,
    signature TEXT,
    key_fingerprint TEXT
);
CREATE INDEX retention_purges_by_organisation ON retention_purges (organisation_id, purged_at);
