-- Anima Vault storage, SQLite dialect, version 3: the latest (highest-numbered) version is kept
-- in its `secrets` row (latest_*), and `secret_versions` keeps only the versions below it. A create then writes
-- one row of one table instead of two B-trees (issue 19: the serial turn of the single writer). ADD COLUMN ... NOT NULL
-- needs a DEFAULT in SQLite: every row is filled below and the plugin always writes these columns.

ALTER TABLE secrets ADD COLUMN latest_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE secrets ADD COLUMN latest_value BLOB NOT NULL DEFAULT x'';
ALTER TABLE secrets ADD COLUMN latest_created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE secrets ADD COLUMN latest_created_by TEXT NOT NULL DEFAULT '';

UPDATE secrets SET (latest_version, latest_value, latest_created_at, latest_created_by) = (
    SELECT v.version, v.value, v.created_at, v.created_by FROM secret_versions v
    WHERE v.org_id = secrets.org_id AND v.identity_id = secrets.identity_id AND v.secret_key = secrets.secret_key
    ORDER BY v.version DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM secret_versions v
    WHERE v.org_id = secrets.org_id AND v.identity_id = secrets.identity_id AND v.secret_key = secrets.secret_key);

DELETE FROM secret_versions WHERE version = (
    SELECT s.latest_version FROM secrets s
    WHERE s.org_id = secret_versions.org_id AND s.identity_id = secret_versions.identity_id
      AND s.secret_key = secret_versions.secret_key);
