-- Coverage: what each connector read completely, over which range (canonical `source.synced`
-- events, written by the sink like any fact). The metrics read it to tell "no data" from zero:
-- per-person meeting figures are means over the people whose own calendar is synced for the
-- window, and dependency and planning figures need a tracker synced over the window.
-- scope_kind calendar: scope is the owner's email; project: a Jira project key; team: a Linear
-- team key. covered_from NULL: from the beginning (trackers are read whole).
CREATE TABLE IF NOT EXISTS source_coverage (
  id String,
  source LowCardinality(String),
  source_id String,
  scope_kind LowCardinality(String),
  scope_id String,
  mode LowCardinality(String),
  covered_from Nullable(DateTime64(3, 'UTC')),
  covered_to DateTime64(3, 'UTC'),
  teams Array(String),
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 10000;

-- the reason a rollup value is NULL, and the coverage behind it: for meetings-family metrics
-- the people whose calendar is synced for the week, the people in the scope and the share; for
-- dependency and planning metrics the Jira projects / Linear teams synced over the week
ALTER TABLE metric_rollups ADD COLUMN IF NOT EXISTS withheld String DEFAULT '';
ALTER TABLE metric_rollups ADD COLUMN IF NOT EXISTS coverage_covered Nullable(UInt32);
ALTER TABLE metric_rollups ADD COLUMN IF NOT EXISTS coverage_total Nullable(UInt32);
ALTER TABLE metric_rollups ADD COLUMN IF NOT EXISTS coverage_share Nullable(Float64);
