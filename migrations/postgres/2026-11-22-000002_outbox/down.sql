DROP TABLE password_tokens;
DROP TABLE outbox_messages;
