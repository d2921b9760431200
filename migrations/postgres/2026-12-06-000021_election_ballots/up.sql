-- Elections are ballots of kind 'election' (candidates as options, a
-- ranking as each paper's option, seats and the STV rule in the rules).
ALTER TABLE ballots DROP CONSTRAINT ballots_kind_check;
ALTER TABLE ballots ADD CONSTRAINT ballots_kind_check
    CHECK (kind IN ('general', 'co_commissioning', 'constitution_amendment', 'motion', 'election'));
