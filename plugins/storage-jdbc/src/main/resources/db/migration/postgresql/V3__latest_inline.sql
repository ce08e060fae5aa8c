-- Anima Vault storage, PostgreSQL dialect, version 3: the latest (highest-numbered) version is kept
-- in its `secrets` row (latest_*), and `secret_versions` keeps only the versions below it. A create then writes
-- one row of one table (the same layout as the SQLite dialect version 3).

ALTER TABLE secrets
    ADD COLUMN latest_version    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN latest_value      BYTEA   NOT NULL DEFAULT '',
    ADD COLUMN latest_created_at BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN latest_created_by TEXT    NOT NULL DEFAULT '';

UPDATE secrets s SET (latest_version, latest_value, latest_created_at, latest_created_by) = (
    SELECT v.version, v.value, v.created_at, v.created_by FROM secret_versions v
    WHERE v.org_id = s.org_id AND v.identity_id = s.identity_id AND v.secret_key = s.secret_key
    ORDER BY v.version DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM secret_versions v
    WHERE v.org_id = s.org_id AND v.identity_id = s.identity_id AND v.secret_key = s.secret_key);

DELETE FROM secret_versions v USING secrets s
WHERE v.org_id = s.org_id AND v.identity_id = s.identity_id AND v.secret_key = s.secret_key
  AND v.version = s.latest_version;

ALTER TABLE secrets
    ALTER COLUMN latest_version DROP DEFAULT,
    ALTER COLUMN latest_value DROP DEFAULT,
    ALTER COLUMN latest_created_at DROP DEFAULT,
    ALTER COLUMN latest_created_by DROP DEFAULT;
