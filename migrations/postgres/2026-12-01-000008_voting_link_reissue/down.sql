ALTER TABLE voting_tokens DROP COLUMN revoked_at;
