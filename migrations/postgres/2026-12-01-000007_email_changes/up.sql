-- A change of an account's email address waits in password_tokens for
-- confirmation from the new address (purpose 'email_change', with the new
-- address).
ALTER TABLE password_tokens ADD COLUMN new_email TEXT;
ALTER TABLE password_tokens DROP CONSTRAINT password_tokens_purpose_check;
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_purpose_check
    CHECK (purpose IN ('invitation', 'reset', 'email_change'));
ALTER TABLE password_tokens ADD CONSTRAINT password_tokens_new_email_check
    CHECK ((purpose = 'email_change') = (new_email IS NOT NULL));
