-- Pre-computed metric values per org unit and period, for dashboards: a panel reads a handful of
-- rows instead of re-deriving attribution over the facts. Written by `refreshRollups`
-- (packages/metrics) from the same catalog expressions the CLI and api evaluate, privacy applied.
CREATE TABLE IF NOT EXISTS metric_rollups (
  scope String,
  grain LowCardinality(String),
  period_start DateTime64(3, 'UTC'),
  period_end DateTime64(3, 'UTC'),
  metric LowCardinality(String),
  value Nullable(Float64),
  people UInt32,
  computed_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (scope, grain, metric, period_start);
