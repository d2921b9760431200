-- When a person took up the position the register is kept for: an interest
-- held then must be declared within 28 days of the appointment, not of
-- when the interest arose.
ALTER TABLE interest_people ADD COLUMN appointed_on DATE;
