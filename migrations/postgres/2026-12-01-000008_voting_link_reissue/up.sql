-- A practice's unused voting links are withdrawn when a new link is sent to
-- its newly confirmed nominated representative.
ALTER TABLE voting_tokens ADD COLUMN revoked_at TIMESTAMP;
