package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.StoredSecret;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.LongAdder;
import org.jdbi.v3.core.Handle;

/**
 * Secrets and their versions: conditional writes, the per-request reads (through the read cache when
 * there is one) and the list of a secret's versions. Thread-safe.
 */
final class SecretStore {

    private final JdbcAccess db;
    /** The read cache of {@code readSecret}; null when off. */
    private final SecretReadCache cache;
    /** Test hook: {@code readSecret} calls that went to the database. */
    private final LongAdder secretReadsFromDatabase = new LongAdder();

    SecretStore(JdbcAccess db, SecretReadCache cache) {
        this.db = requireNonNull(db, "db is null");
        this.cache = cache;
    }

    /** Test hook: how many {@code readSecret} calls went to the database (cache misses, or all without cache). */
    long secretReadsFromDatabase() {
        return secretReadsFromDatabase.sum();
    }

    SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(firstVersion, "firstVersion is null");
        SecretRef ref = metadata.ref();
        if (!firstVersion.ref().equals(ref)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the first version of secret '" + ref.key()
                    + "' belongs to another secret ('" + firstVersion.ref().key() + "')");
        }
        if (firstVersion.version() != metadata.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': the first version is "
                    + firstVersion.version() + " but the metadata's current version is " + metadata.currentVersion());
        }
        SecretMetadata stored = normalize(metadata).withRevision(1);
        // encoded before the write: the SQLite writer's turn is serial, so work done in it is work every
        // concurrent writer waits for
        String metadataJson = StringMapJson.encode(stored.metadata());
        String attributesJson = StringMapJson.encode(stored.attributes());
        db.write("createSecret", JdbcAccess.Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            // No look-up of the identity first: the foreign key (org_id, identity_id) -> identities, enforced
            // in both dialects (SQLite foreign_keys=true), refuses the insert when it is missing; ON CONFLICT
            // DO NOTHING covers only the primary key. One statement less in the single SQLite writer's turn.
            int n;
            try {
                // the first version is the latest: inline in the row (schema V3), one row of one table
                n = db.update(h, "INSERT INTO secrets (org_id, identity_id, secret_key, type, current_version, "
                                + "metadata, attributes, created_at, updated_at, revision, latest_version, latest_value, "
                                + "latest_created_at, latest_created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
                                + "ON CONFLICT DO NOTHING", ref.organizationId(), ref.identityId(), ref.key(), stored.type(),
                        stored.currentVersion(), metadataJson, attributesJson, Codec.micros(stored.createdAt()),
                        Codec.micros(stored.updatedAt()), firstVersion.version(), firstVersion.value(),
                        Codec.micros(firstVersion.createdAt()), firstVersion.createdBy());
            } catch (RuntimeException e) {
                SQLException sql = SqlErrors.sqlCause(e);
                if (sql != null && SqlErrors.classify(sql) == SqlErrors.Kind.FOREIGN_KEY_VIOLATION) {
                    throw missingIdentity(ref); // no such identity (or deleted meanwhile)
                }
                throw e;
            }
            if (n == 0) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "secret '" + ref.key() + "' already exists for identity '"
                        + ref.identityId() + "' in organization '" + ref.organizationId() + "'");
            }
            return null;
        });
        return stored;
    }

    Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        requireNonNull(ref, "ref is null");
        requireNonNull(version, "version is null");
        int v = version.isPresent() ? version.getAsInt() : SecretReadCache.CURRENT;
        if (cache == null || (version.isPresent() && v < 1)) { // versions start at 1: nothing to cache
            return readSecretFromDatabase(ref, version);
        }
        db.checkOpen("readSecret");
        Optional<StoredSecret> cached = cache.get(ref, v);
        if (cached != null) {
            return cached;
        }
        long e0 = cache.epoch(); // before the database read: see SecretReadCache
        Optional<StoredSecret> read = readSecretFromDatabase(ref, version);
        if (read.isPresent()) {
            cache.put(ref, v, read.get(), e0);
        }
        return read;
    }

    /** One query: the metadata joined with the requested (or current) version. */
    private Optional<StoredSecret> readSecretFromDatabase(SecretRef ref, OptionalInt version) {
        secretReadsFromDatabase.increment();
        return version.isPresent()
                ? db.hotRead("readSecret", HotQueries.READ_SECRET_VERSION, ref.organizationId(), ref.identityId(), ref.key(),
                        version.getAsInt(), ref, HotQueries::storedSecretRow)
                : db.hotRead("readSecret", HotQueries.READ_SECRET_CURRENT, ref.organizationId(), ref.identityId(), ref.key(), 0,
                        ref, HotQueries::storedSecretRow);
    }

    Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        return db.hotRead("getSecretMetadata", HotQueries.SECRET_METADATA, ref.organizationId(), ref.identityId(), ref.key(), 0,
                ref, HotQueries::secretMetadataRow);
    }

    SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        requireNonNull(metadata, "metadata is null");
        requireNonNull(newVersion, "newVersion is null");
        SecretRef ref = metadata.ref();
        if (!newVersion.ref().equals(ref)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version of secret '" + ref.key()
                    + "' belongs to another secret ('" + newVersion.ref().key() + "')");
        }
        SecretMetadata in = normalize(metadata);
        String metadataJson = StringMapJson.encode(in.metadata());
        String attributesJson = StringMapJson.encode(in.attributes());
        return db.write("addVersion", JdbcAccess.Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            // The row first, locked on PostgreSQL (FOR UPDATE: a concurrent addVersion waits, then sees the new
            // revision); the SQLite writer is serial. The checks in the order they had before schema V3.
            SecretRow row = lockedRow(h, ref);
            if (row == null || row.revision() != expectedRevision) {
                throw secretMiss(h, ref, expectedRevision);
            }
            int highest = row.latestVersion();
            if (newVersion.version() <= highest) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "version " + newVersion.version() + " of secret '"
                        + ref.key() + "' already exists");
            }
            if (newVersion.version() != highest + 1) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': the next version is "
                        + (highest + 1) + ", not " + newVersion.version());
            }
            if (in.currentVersion() > newVersion.version()) {
                throw currentBeyondVersions(ref, in.currentVersion(), newVersion.version());
            }
            // the old latest moves to secret_versions, the new one is inline
            db.update(h, "INSERT INTO secret_versions (org_id, identity_id, secret_key, version, value, created_at, "
                            + "created_by) SELECT org_id, identity_id, secret_key, latest_version, latest_value, "
                            + "latest_created_at, latest_created_by FROM secrets WHERE org_id = ? AND identity_id = ? "
                            + "AND secret_key = ? AND latest_version > 0", ref.organizationId(), ref.identityId(), ref.key());
            int n = db.update(h, "UPDATE secrets SET type = ?, current_version = ?, metadata = ?, attributes = ?, "
                            + "updated_at = ?, revision = revision + 1, latest_version = ?, latest_value = ?, "
                            + "latest_created_at = ?, latest_created_by = ? WHERE org_id = ? AND identity_id = ? "
                            + "AND secret_key = ? AND revision = ?", in.type(), in.currentVersion(), metadataJson,
                    attributesJson, Codec.micros(in.updatedAt()), newVersion.version(), newVersion.value(),
                    Codec.micros(newVersion.createdAt()), newVersion.createdBy(), ref.organizationId(), ref.identityId(),
                    ref.key(), expectedRevision);
            if (n != 1) {
                throw secretMiss(h, ref, expectedRevision); // not after the locked read; kept as a guard
            }
            return new SecretMetadata(ref, in.type(), in.currentVersion(), in.metadata(), in.attributes(),
                    Codec.instant(row.createdAt()), in.updatedAt(), expectedRevision + 1);
        });
    }

    /**
     * A conditional UPDATE, the blob comparison its condition (keyring re-encryption): of the secret's row when
     * the version is its latest (inline since schema V3), else of the version's row in {@code secret_versions}.
     */
    boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        requireNonNull(ref, "ref is null");
        requireNonNull(expected, "expected is null");
        requireNonNull(replacement, "replacement is null");
        return db.write("replaceVersionValue", JdbcAccess.Affects.ONE_SECRET, ref, StorageChange.secret(ref), h ->
                compareAndSetValue(h, "UPDATE secrets SET latest_value = :replacement WHERE org_id = :org "
                        + "AND identity_id = :identity AND secret_key = :key AND latest_version = :version "
                        + "AND latest_value = :expected", ref, version, expected, replacement)
                || compareAndSetValue(h, "UPDATE secret_versions SET value = :replacement WHERE org_id = :org "
                        + "AND identity_id = :identity AND secret_key = :key AND version = :version "
                        + "AND value = :expected", ref, version, expected, replacement));
    }

    /** Runs one of {@link #replaceVersionValue}'s conditional UPDATEs; whether it changed the row. */
    private static boolean compareAndSetValue(Handle h, String sql, SecretRef ref, int version, byte[] expected,
                                              byte[] replacement) {
        return h.createUpdate(sql)
                .bind("replacement", replacement)
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .bind("version", version)
                .bind("expected", expected)
                .execute() == 1;
    }

    /**
     * One DELETE of the version row, checked against the secret's current version in the same
     * transaction. Only versions below the current one, so below the latest (inline in the secret's row,
     * schema V3), can be destroyed: they are all in {@code secret_versions}. SQLite connections run with
     * {@code secure_delete}, so the freed page is zeroed;
     * PostgreSQL removes the dead tuple at its next vacuum.
     */
    boolean destroyVersion(SecretRef ref, int version) {
        requireNonNull(ref, "ref is null");
        return db.write("destroyVersion", JdbcAccess.Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            Optional<Integer> current = h.createQuery("SELECT current_version FROM secrets WHERE org_id = :org "
                            + "AND identity_id = :identity AND secret_key = :key")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .mapTo(Integer.class)
                    .findOne();
            if (current.isEmpty()) {
                return false;
            }
            if (version >= current.get()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "version " + version + " of secret " + ref.key()
                        + " is not below the current version " + current.get() + " and cannot be destroyed");
            }
            return h.createUpdate("DELETE FROM secret_versions WHERE org_id = :org AND identity_id = :identity "
                            + "AND secret_key = :key AND version = :version")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .bind("version", version)
                    .execute() == 1;
        });
    }

    SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        requireNonNull(metadata, "metadata is null");
        SecretMetadata in = normalize(metadata);
        return db.write("updateSecretMetadata", JdbcAccess.Affects.ONE_SECRET, in.ref(), StorageChange.secret(in.ref()), h -> {
            UpdatedRow updated = updateSecretRow(h, in, expectedRevision);
            if (in.currentVersion() > updated.latestVersion()) {
                throw currentBeyondVersions(in.ref(), in.currentVersion(), updated.latestVersion());
            }
            return updated.metadata();
        });
    }

    List<SecretVersion> listVersions(SecretRef ref) {
        requireNonNull(ref, "ref is null");
        // the versions below the latest, then the latest (inline in the secret's row, schema V3)
        return db.read("listVersions", h -> h.createQuery("SELECT version, value, created_at, created_by "
                        + "FROM secret_versions WHERE org_id = :org AND identity_id = :identity AND secret_key = :key "
                        + "UNION ALL SELECT latest_version, latest_value, latest_created_at, latest_created_by "
                        + "FROM secrets WHERE org_id = :org AND identity_id = :identity AND secret_key = :key "
                        + "AND latest_version > 0 ORDER BY 1")
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .map((rs, ctx) -> new SecretVersion(ref, rs.getInt("version"), Codec.bytes(rs.getBytes("value")),
                        Codec.instant(rs.getLong("created_at")), rs.getString("created_by")))
                .list());
    }

    void deleteSecret(SecretRef ref, long expectedRevision) {
        requireNonNull(ref, "ref is null");
        db.write("deleteSecret", JdbcAccess.Affects.ONE_SECRET, ref, StorageChange.secret(ref), h -> {
            // versions go with it: ON DELETE CASCADE
            int n = h.createUpdate("DELETE FROM secrets WHERE org_id = :org AND identity_id = :identity "
                            + "AND secret_key = :key AND revision = :expected")
                    .bind("org", ref.organizationId())
                    .bind("identity", ref.identityId())
                    .bind("key", ref.key())
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw secretMiss(h, ref, expectedRevision);
            }
            return null;
        });
    }


    /** A secret's row as {@link #updateSecretRow} left it: the stored metadata, and its latest version. */
    private record UpdatedRow(SecretMetadata metadata, int latestVersion) {
    }

    /** What {@code addVersion} reads of a secret's row before it writes. */
    private record SecretRow(long revision, int latestVersion, long createdAt) {
    }

    /** The conditional update of a secret's row; returns the stored metadata with its new revision. */
    private static UpdatedRow updateSecretRow(Handle h, SecretMetadata in, long expectedRevision) {
        SecretRef ref = in.ref();
        Optional<long[]> returned = h.createQuery("UPDATE secrets SET type = :type, current_version = :current, "
                        + "metadata = :metadata, attributes = :attributes, updated_at = :updatedAt, "
                        + "revision = revision + 1 WHERE org_id = :org AND identity_id = :identity "
                        + "AND secret_key = :key AND revision = :expected RETURNING created_at, latest_version")
                .bind("type", in.type())
                .bind("current", in.currentVersion())
                .bind("metadata", StringMapJson.encode(in.metadata()))
                .bind("attributes", StringMapJson.encode(in.attributes()))
                .bind("updatedAt", Codec.micros(in.updatedAt()))
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .bind("expected", expectedRevision)
                .map((rs, ctx) -> new long[] {rs.getLong(1), rs.getInt(2)})
                .findOne();
        if (returned.isEmpty()) {
            throw secretMiss(h, ref, expectedRevision);
        }
        return new UpdatedRow(new SecretMetadata(ref, in.type(), in.currentVersion(), in.metadata(), in.attributes(),
                Codec.instant(returned.get()[0]), in.updatedAt(), expectedRevision + 1), (int) returned.get()[1]);
    }

    /** The secret's row (revision, latest version, creation time), locked on PostgreSQL; null when none. */
    private SecretRow lockedRow(Handle h, SecretRef ref) {
        String lock = db.dialect() == Dialect.POSTGRESQL ? " FOR UPDATE" : "";
        return h.createQuery("SELECT revision, latest_version, created_at FROM secrets "
                        + "WHERE org_id = :org AND identity_id = :identity AND secret_key = :key" + lock)
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .map((rs, ctx) -> new SecretRow(rs.getLong(1), rs.getInt(2), rs.getLong(3)))
                .findOne()
                .orElse(null);
    }

    private static VaultException secretMiss(Handle h, SecretRef ref, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM secrets "
                        + "WHERE org_id = :org AND identity_id = :identity AND secret_key = :key")
                .bind("org", ref.organizationId())
                .bind("identity", ref.identityId())
                .bind("key", ref.key())
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret '" + ref.key() + "' does not exist for identity '"
                    + ref.identityId() + "' in organization '" + ref.organizationId() + "'");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "secret '" + ref.key() + "' of identity '"
                + ref.identityId() + "' is at revision " + revision.get() + ", not " + expectedRevision);
    }

    private static VaultException missingIdentity(SecretRef ref) {
        return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + ref.identityId()
                + "' does not exist in organization '" + ref.organizationId() + "'");
    }

    private static VaultException currentBeyondVersions(SecretRef ref, int current, int highest) {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "secret '" + ref.key() + "': current version "
                + current + " does not exist (highest is " + highest + ")");
    }


    private static SecretMetadata normalize(SecretMetadata m) {
        return new SecretMetadata(m.ref(), m.type(), m.currentVersion(), m.metadata(), m.attributes(),
                Codec.stored(m.createdAt()), Codec.stored(m.updatedAt()), m.revision());
    }
}
