-- Documents of a consultation (PDF or Office files), kept with their SHA-256.
CREATE TABLE consultation_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX consultation_documents_by_consultation ON consultation_documents (consultation_id, id);
