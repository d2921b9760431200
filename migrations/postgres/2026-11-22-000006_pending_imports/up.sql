-- A file uploaded through the web, kept between its preview and the
-- administrator's confirmation (removed when imported, or after a day).
CREATE TABLE pending_imports (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    token TEXT NOT NULL UNIQUE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('practices', 'list_sizes')),
    file_name TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
