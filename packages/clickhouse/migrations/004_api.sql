-- api bearer tokens (services/api). Only the sha256 of a token is stored: the token itself is
-- shown once by `orgpulse tokens create`. Revocation writes a newer version of the same row
-- (ReplacingMergeTree on id), so it works the same on chDB and on a replicated server.
-- scope 'admin': every org and the admin routes; scope 'org': the subtree of `org` (a director's email).
CREATE TABLE IF NOT EXISTS api_tokens (
  id String,
  name String,
  scope LowCardinality(String),
  org String,
  token_hash String,
  created_at DateTime64(3, 'UTC'),
  revoked_at Nullable(DateTime64(3, 'UTC')),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
