-- Org snapshots, effective-dated. The org valid at time t is the snapshot with the greatest
-- effective date <= t; the earliest snapshot also covers everything before it (see README).
-- A re-import of the same effective date replaces that snapshot.

CREATE TABLE IF NOT EXISTS org_snapshots (
  effective Date,
  imported_at DateTime64(3, 'UTC'),
  people UInt32,
  units UInt32,
  source String
) ENGINE = ReplacingMergeTree(imported_at)
ORDER BY effective;

CREATE TABLE IF NOT EXISTS org_people (
  effective Date,
  person_id String,
  email String,
  name String,
  title String,
  manager_id String,
  employee_id String,
  level UInt8,
  home_unit String,
  timezone String
) ENGINE = MergeTree
ORDER BY (effective, person_id);

CREATE TABLE IF NOT EXISTS org_units (
  effective Date,
  unit_id String,
  name String,
  kind LowCardinality(String),
  manager_id String,
  parent_id String
) ENGINE = MergeTree
ORDER BY (effective, unit_id);

CREATE TABLE IF NOT EXISTS org_closure (
  effective Date,
  unit_id String,
  ancestor_id String,
  depth UInt8
) ENGINE = MergeTree
ORDER BY (effective, ancestor_id, unit_id);

-- Source identity → person. Emails map to themselves on org import; aliases come from config.
CREATE TABLE IF NOT EXISTS identity_map (
  identity String,
  person_id String,
  origin LowCardinality(String),
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY identity;
