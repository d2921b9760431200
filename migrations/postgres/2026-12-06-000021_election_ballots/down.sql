-- Back to the four kinds: fails while any election exists (remove them first).
ALTER TABLE ballots DROP CONSTRAINT ballots_kind_check;
ALTER TABLE ballots ADD CONSTRAINT ballots_kind_check
    CHECK (kind IN ('general', 'co_commissioning', 'constitution_amendment', 'motion'));
