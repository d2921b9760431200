-- Every email is a row here, written in the same transaction as the event
-- that causes it; the delivery worker sends it and records the outcome.

CREATE TABLE outbox_messages (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    message_id TEXT NOT NULL UNIQUE,
    recipient_email TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    event_kind TEXT NOT NULL,
    event_id INTEGER,
    organisation_id INTEGER REFERENCES organisations (id),
    practice_id INTEGER REFERENCES practices (id),
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    give_up_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    resend_of INTEGER REFERENCES outbox_messages (id)
);
CREATE INDEX outbox_due ON outbox_messages (state, next_attempt_at);
CREATE INDEX outbox_by_event ON outbox_messages (event_kind, event_id);
CREATE INDEX outbox_by_organisation ON outbox_messages (organisation_id, created_at);

-- Single-use links to set a password: invitations and resets.
CREATE TABLE password_tokens (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    token_digest TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_tokens_by_user ON password_tokens (user_id, created_at);
