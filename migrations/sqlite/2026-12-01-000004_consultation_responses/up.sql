-- A practice's written response to a consultation: its position on each
-- option and its comments, revisable until the close (one per practice).
CREATE TABLE consultation_responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    submitted_by INTEGER NOT NULL REFERENCES users (id),
    positions TEXT NOT NULL,
    comment TEXT NOT NULL,
    revision INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (consultation_id, practice_id)
);
