-- HR sync (`orgpulse org sync`, packages/org/src/sources).
--
-- scim_users: the users Okta or Entra ID provisioning pushed to the api's SCIM 2.0 endpoint
-- (/scim/v2/Users, RFC 7644). `resource` is the whole SCIM resource as last written, returned
-- as-is by GET; the other columns are read from it for filtering. A DELETE writes a newer version
-- with `deleted` = 1 (ReplacingMergeTree on the id, like api_tokens), so reads use FINAL.
CREATE TABLE IF NOT EXISTS scim_users (
  id String,
  user_name String,
  external_id String,
  resource String,
  deleted UInt8,
  created_at DateTime64(3, 'UTC'),
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- One row per `org sync` run that produced an org: `applied` went into the effective-dated
-- snapshot tables at once; `held` tripped the suspicious-diff guard and waits (not in force)
-- for `org sync --confirm SNAPSHOT_ID`, which rewrites the row as `confirmed`. `snapshot` is
-- `{snapshot: OrgSnapshot, directory: [{identity, email}]}` as JSON, so a held one is applied
-- exactly as it was read.
CREATE TABLE IF NOT EXISTS org_sync_snapshots (
  snapshot_id String,
  source LowCardinality(String),
  effective Date,
  created_at DateTime64(3, 'UTC'),
  status LowCardinality(String),
  reasons Array(String),
  snapshot String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY snapshot_id;
