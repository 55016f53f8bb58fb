-- Who is expected to make a decision's call (DESIGN "Inputs with a fixed shape": expectedDecider),
-- as an identity like raised_by and actor (an email, or `<source>:<id>` resolved through
-- identity_map). Every step of a version carries it, so the newest version's value is the
-- decision's. Rows written before this column existed read '' (nobody expected).
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS expected_decider String DEFAULT '';
