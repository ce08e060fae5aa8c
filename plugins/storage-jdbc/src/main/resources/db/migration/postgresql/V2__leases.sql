-- Anima Vault storage, PostgreSQL dialect, version 2: leases (StorageBackend.tryAcquireLease and friends).
-- One row per lease name; expires_at in microseconds since the epoch; fence grows with every grant.

CREATE TABLE leases (
    name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    owner      TEXT             NOT NULL,
    expires_at BIGINT           NOT NULL,
    fence      BIGINT           NOT NULL
);
