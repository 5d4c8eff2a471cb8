-- Every API token ends: it has an expiry, and it may be limited to reading. Tokens made before
-- had none; they are given the default life of 90 days from the upgrade rather than cut off.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 7776000000;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- An account whose password someone else has seen (the first administrator's, printed at the
-- first start) changes it before it does anything else. The first administrator of an existing
-- installation who never changed that password is marked too.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
UPDATE users SET must_change_password = 1
WHERE password_changed_at = created_at
  AND CAST(id AS TEXT) IN (
      SELECT target_id FROM audit_log
      WHERE action = 'account.provision' AND actor_name = 'system:first start'
  );
