ALTER TABLE meetings DROP COLUMN terms_at_meeting;
