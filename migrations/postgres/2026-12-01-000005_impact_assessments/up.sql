-- A practice's own assessment of what each option would change for it
-- (the practice impact of change tool). Seen in full by the practice only;
-- others see an aggregate that hides groups too small to be anonymous.
CREATE TABLE impact_assessments (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    contract_type TEXT NOT NULL CHECK (contract_type IN ('gms', 'pms', 'apms')),
    list_size INTEGER NOT NULL CHECK (list_size >= 0),
    answers TEXT NOT NULL,
    notes TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (consultation_id, practice_id)
);
