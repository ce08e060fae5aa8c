-- Anima Vault storage, PostgreSQL dialect, version 1.
-- Identifiers use COLLATE "C" so listings and cursors follow byte (code point) order whatever the
-- database's locale, the same order as the SQLite dialect. Timestamps are microseconds since the epoch.

CREATE TABLE identities (
    org_id     TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT             NOT NULL,
    metadata   TEXT             NOT NULL,
    disabled   BOOLEAN          NOT NULL,
    created_at BIGINT           NOT NULL,
    updated_at BIGINT           NOT NULL,
    revision   BIGINT           NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE secrets (
    org_id          TEXT COLLATE "C" NOT NULL,
    identity_id     TEXT COLLATE "C" NOT NULL,
    secret_key      TEXT COLLATE "C" NOT NULL,
    type            TEXT             NOT NULL,
    current_version INTEGER          NOT NULL,
    metadata        TEXT             NOT NULL,
    attributes      TEXT             NOT NULL,
    created_at      BIGINT           NOT NULL,
    updated_at      BIGINT           NOT NULL,
    revision        BIGINT           NOT NULL,
    PRIMARY KEY (org_id, identity_id, secret_key),
    FOREIGN KEY (org_id, identity_id) REFERENCES identities (org_id, id) ON DELETE CASCADE
);

CREATE TABLE secret_versions (
    org_id      TEXT COLLATE "C" NOT NULL,
    identity_id TEXT COLLATE "C" NOT NULL,
    secret_key  TEXT COLLATE "C" NOT NULL,
    version     INTEGER          NOT NULL,
    value       BYTEA            NOT NULL,
    created_at  BIGINT           NOT NULL,
    created_by  TEXT             NOT NULL,
    PRIMARY KEY (org_id, identity_id, secret_key, version),
    FOREIGN KEY (org_id, identity_id, secret_key) REFERENCES secrets (org_id, identity_id, secret_key)
        ON DELETE CASCADE
);

CREATE TABLE records (
    namespace  TEXT COLLATE "C" NOT NULL,
    record_key TEXT COLLATE "C" NOT NULL,
    value      BYTEA            NOT NULL,
    revision   BIGINT           NOT NULL,
    updated_at BIGINT           NOT NULL,
    PRIMARY KEY (namespace, record_key)
);
