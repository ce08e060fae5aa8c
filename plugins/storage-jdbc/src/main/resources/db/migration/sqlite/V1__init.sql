-- Anima Vault storage, SQLite dialect, version 1.
-- Text columns use SQLite's default BINARY collation, so listings are in UTF-8 byte (code point) order,
-- the same order the PostgreSQL dialect gets from COLLATE "C". Timestamps are microseconds since the epoch.

CREATE TABLE identities (
    org_id     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    disabled   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) WITHOUT ROWID;

CREATE TABLE secrets (
    org_id          TEXT    NOT NULL,
    identity_id     TEXT    NOT NULL,
    secret_key      TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    current_version INTEGER NOT NULL,
    metadata        TEXT    NOT NULL,
    attributes      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    PRIMARY KEY (org_id, identity_id, secret_key),
    FOREIGN KEY (org_id, identity_id) REFERENCES identities (org_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Values can be large, so this table keeps its rowid (WITHOUT ROWID suits small rows).
CREATE TABLE secret_versions (
    org_id      TEXT    NOT NULL,
    identity_id TEXT    NOT NULL,
    secret_key  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    value       BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    PRIMARY KEY (org_id, identity_id, secret_key, version),
    FOREIGN KEY (org_id, identity_id, secret_key) REFERENCES secrets (org_id, identity_id, secret_key)
        ON DELETE CASCADE
);

CREATE TABLE records (
    namespace  TEXT    NOT NULL,
    record_key TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    revision   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, record_key)
);
