-- Signed vendor webhook deliveries already published, so a replay is acknowledged without being
-- published again, also after a restart: `key` is `id:<delivery id>` or `body:<sha256 of the
-- signed body>` (a captured body re-sent under a new delivery id still carries the old signature
-- and hash). Kept 90 days: longer than any vendor retries.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  source LowCardinality(String),
  key String,
  received_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (source, key)
TTL toDateTime(received_at) + INTERVAL 90 DAY;
