-- Browser sessions of the api (services/api/src/auth/sessions.ts): `POST /login` with a token
-- creates one and puts its id in an http-only cookie. Only the sha256 of the id is stored, so a
-- leaked table holds no usable cookie. A session is valid while it has neither ended (logout) nor
-- expired AND its token in `api_tokens` is not revoked: every request joins the token, so revoking
-- a token ends its sessions on the next request. Logout writes a newer version with `ended_at`
-- (ReplacingMergeTree on the hash, like api_tokens); rows go a day after they expire.
CREATE TABLE IF NOT EXISTS api_sessions (
  session_hash String,
  token_id String,
  created_at DateTime64(3, 'UTC'),
  expires_at DateTime64(3, 'UTC'),
  ended_at Nullable(DateTime64(3, 'UTC')),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY session_hash
TTL toDateTime(expires_at) + INTERVAL 1 DAY;
