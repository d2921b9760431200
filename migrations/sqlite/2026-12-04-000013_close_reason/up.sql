-- Why voting closed before its published time: asked when the returning
-- officer closes early, shown on the ballot, its timeline and the LMC's checklist.
ALTER TABLE ballots ADD COLUMN close_reason TEXT;
