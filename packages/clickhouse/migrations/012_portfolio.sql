-- The portfolio view (issue 19): each tracker fact carries its item's project and epic as the
-- source named them (Jira project key and parent / epic-link key, Linear project id), so mapping
-- them to the portfolio's buckets and initiatives (config `portfolio:`) happens at query time and
-- a changed mapping needs no re-ingest. Dependency rows carry the blocked item's. Rows written
-- before these columns existed read '' (unmapped).
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS project String DEFAULT '';
ALTER TABLE decision_events ADD COLUMN IF NOT EXISTS epic String DEFAULT '';
ALTER TABLE workitem_events ADD COLUMN IF NOT EXISTS project String DEFAULT '';
ALTER TABLE workitem_events ADD COLUMN IF NOT EXISTS epic String DEFAULT '';
ALTER TABLE dependency_events ADD COLUMN IF NOT EXISTS project String DEFAULT '';
ALTER TABLE dependency_events ADD COLUMN IF NOT EXISTS epic String DEFAULT '';
