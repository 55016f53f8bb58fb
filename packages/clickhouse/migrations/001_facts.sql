-- Canonical fact tables. Every table dedupes on the canonical event id (or entity id where one
-- row per entity is the model) with ReplacingMergeTree(version): a replay, a duplicate delivery
-- or an update of the same change collapses to the newest version. Queries read them with FINAL.
-- non_replicated_deduplication_window enables insert_deduplication_token on these tables, so a
-- retried batch (same topic:partition:offset range) is dropped before it reaches any view.

CREATE TABLE IF NOT EXISTS decision_events (
  id String,
  type LowCardinality(String),
  source LowCardinality(String),
  source_id String,
  decision_id String,
  raised_by String,
  actor String,
  targets Array(String),
  title String,
  team String,
  tags Array(String),
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS dependency_events (
  id String,
  type LowCardinality(String),
  source LowCardinality(String),
  source_id String,
  link_id String,
  blocker_item String,
  blocked_item String,
  blocker_team String,
  blocked_team String,
  reason LowCardinality(String),
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS workitem_events (
  id String,
  source LowCardinality(String),
  source_id String,
  item_id String,
  team String,
  from_status String,
  to_status String,
  category LowCardinality(String),
  actor String,
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per meeting occurrence; the same meeting seen on several calendars collapses here.
CREATE TABLE IF NOT EXISTS meetings (
  id String,
  source LowCardinality(String),
  source_id String,
  meeting_id String,
  start DateTime64(3, 'UTC'),
  end DateTime64(3, 'UTC'),
  all_day UInt8,
  cancelled UInt8,
  class LowCardinality(String),
  ritual String,
  organizer String,
  attendees Array(String),
  responses Array(LowCardinality(String)),
  external_attendees UInt32,
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY meeting_id
SETTINGS non_replicated_deduplication_window = 10000;

-- Latest snapshot per cycle/sprint.
CREATE TABLE IF NOT EXISTS cycles (
  id String,
  source LowCardinality(String),
  source_id String,
  cycle_id String,
  team String,
  name String,
  starts_at DateTime64(3, 'UTC'),
  ends_at DateTime64(3, 'UTC'),
  committed Float64,
  completed Float64,
  added Float64,
  occurred_at DateTime64(3, 'UTC'),
  version UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(version)
ORDER BY cycle_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS dlq (
  id String,
  reason String,
  stage LowCardinality(String),
  topic String,
  partition Int32,
  offset String,
  key String,
  value String,
  failed_at DateTime64(3, 'UTC'),
  replayed_at Nullable(DateTime64(3, 'UTC'))
) ENGINE = ReplacingMergeTree
ORDER BY id;

-- Connector cursors: committed only after Kafka acknowledged the records they cover.
CREATE TABLE IF NOT EXISTS ingest_cursors (
  connector LowCardinality(String),
  scope String,
  cursor String,
  config_hash String,
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (connector, scope);
