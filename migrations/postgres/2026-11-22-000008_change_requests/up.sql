-- Changes to a practice's details proposed by its own representatives,
-- applied only when an administrator of its organisation approves them.
CREATE TABLE practice_change_requests (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    requested_by INTEGER NOT NULL REFERENCES users (id),
    proposed TEXT NOT NULL,
    note TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by INTEGER REFERENCES users (id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX practice_change_requests_by_state ON practice_change_requests (state, practice_id);
