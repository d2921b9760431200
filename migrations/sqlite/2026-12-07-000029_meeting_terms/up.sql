-- The terms of reference a meeting is judged by, as they stood when its
-- attendance was recorded (JSON: the quorum rule, the casting vote, the
-- papers rule and the members with their roles), so that a later change to
-- the committee does not rewrite an old meeting's quorum or checklist.
ALTER TABLE meetings ADD COLUMN terms_at_meeting TEXT;
