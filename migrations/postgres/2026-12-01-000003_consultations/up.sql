-- Consultations of member practices, and their questions and answers.
CREATE TABLE consultations (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    closes_at TIMESTAMP NOT NULL,
    ballot_id INTEGER REFERENCES ballots (id),
    published_at TIMESTAMP,
    closed_at TIMESTAMP,
    last_digest_at TIMESTAMP,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX consultations_by_organisation ON consultations (organisation_id, id);

CREATE TABLE consultation_questions (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    asked_by INTEGER NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    asked_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_by INTEGER REFERENCES users (id),
    answered_at TIMESTAMP,
    in_digest_at TIMESTAMP
);
CREATE INDEX consultation_questions_by_consultation ON consultation_questions (consultation_id, id);
