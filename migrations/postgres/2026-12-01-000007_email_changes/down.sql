DELETE FROM password_tokens WHERE purpose = 'email_change';
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_new_email_check;
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check CHECK (purpose IN ('invitation', 'reset'));
ALTER TABLE password_tokens DROP COLUMN new_email;
