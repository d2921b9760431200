-- Certificates of result: the signed document, as issued, one per ballot.
CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    ballot_id INTEGER NOT NULL UNIQUE REFERENCES ballots (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    document TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by INTEGER REFERENCES users (id)
);
