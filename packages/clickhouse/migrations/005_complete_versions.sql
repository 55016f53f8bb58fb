-- Whole-version semantics for decisions (DESIGN "Decision semantics"): a step belongs to a
-- complete version of its decision (complete = 1) or is a delta (a webhook's single change).
-- Metrics read only the steps of the newest complete version and the deltas newer than it
-- (packages/metrics/src/sql.ts, LIVE_DECISION_EVENTS_CTE). Rows written before this column
-- existed are deltas: with no complete version beside them they all count, as they did.
-- `arrival` (when the version reached orgpulse) orders two complete versions with one `version`.
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS complete UInt8 DEFAULT 0;
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS arrival UInt64 DEFAULT 0;
