-- Bounces that came back after the mail server accepted a message (read by
-- `quorate mail bounce`). Every one is kept, matched to its message or not;
-- those not understood or not matched wait for a person to read them.
CREATE TABLE mail_bounces (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    received_at TIMESTAMP NOT NULL,
    outbox_id INTEGER REFERENCES outbox_messages (id),
    organisation_id INTEGER REFERENCES organisations (id),
    severity TEXT NOT NULL CHECK (severity IN ('hard', 'soft', 'unknown')),
    recipient TEXT,
    status TEXT,
    diagnostic TEXT,
    subject TEXT,
    -- The bounce as received (the first 256 KiB, as UTF-8 with any invalid bytes replaced).
    raw TEXT NOT NULL,
    read_at TIMESTAMP,
    read_by TEXT
);
CREATE INDEX mail_bounces_by_message ON mail_bounces (outbox_id);
CREATE INDEX mail_bounces_by_organisation ON mail_bounces (organisation_id, received_at);
