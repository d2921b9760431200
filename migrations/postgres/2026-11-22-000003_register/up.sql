-- The register's practice details (from ODS epraccur), list sizes with
-- their history, and an append-only, hash-chained audit log.

ALTER TABLE practices ADD COLUMN address_1 TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN address_2 TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN address_3 TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN address_4 TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN address_5 TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed', 'dormant', 'proposed'));
ALTER TABLE practices ADD COLUMN opened_on DATE;
ALTER TABLE practices ADD COLUMN closed_on DATE;
ALTER TABLE practices ADD COLUMN telephone TEXT NOT NULL DEFAULT '';
ALTER TABLE practices ADD COLUMN prescribing_setting TEXT NOT NULL DEFAULT '';

CREATE TABLE list_sizes (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    practice_id INTEGER NOT NULL REFERENCES practices (id),
    extract_date DATE NOT NULL,
    patients INTEGER NOT NULL CHECK (patients >= 0),
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (practice_id, extract_date)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    at TIMESTAMP NOT NULL,
    actor_user_id INTEGER,
    actor TEXT NOT NULL,
    organisation_id INTEGER,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_key TEXT NOT NULL,
    summary TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_by_organisation ON audit_log (organisation_id, id);
