-- An organisation's constitution settings: the defaults of its ballots.
-- Thresholds are stored as "gt:1/2" (more than half) or "ge:2/3" (at least
-- two thirds).
CREATE TABLE constitution_settings (
    organisation_id INTEGER PRIMARY KEY NOT NULL REFERENCES organisations (id),
    weighting TEXT NOT NULL CHECK (weighting IN ('per_practice', 'per_patients', 'list_size')),
    patients_per_vote INTEGER NOT NULL CHECK (patients_per_vote > 0),
    quorum_basis TEXT NOT NULL CHECK (quorum_basis IN ('none', 'practices', 'weight')),
    quorum_percent INTEGER NOT NULL CHECK (quorum_percent BETWEEN 0 AND 100),
    ordinary_threshold TEXT NOT NULL,
    amendment_threshold TEXT NOT NULL,
    removal_threshold TEXT NOT NULL,
    dissolution_threshold TEXT NOT NULL,
    minimum_notice_days INTEGER NOT NULL CHECK (minimum_notice_days BETWEEN 0 AND 365),
    voters TEXT NOT NULL CHECK (voters IN ('nominated', 'nominated_or_deputy')),
    updated_at TIMESTAMP NOT NULL
);
