package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.StoredRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * Core records (namespaced, opaque values with a revision): conditional puts and deletes, the
 * per-request look-up. Thread-safe.
 */
final class RecordStore {

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9_./-]{1,64}");
    private static final int MAX_RECORD_KEY_LENGTH = 256;

    private final JdbcAccess db;
    private final Clock clock;

    RecordStore(JdbcAccess db, Clock clock) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    Optional<StoredRecord> getRecord(String namespace, String key) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(key, "key is null");
        return db.hotRead("getRecord", HotQueries.RECORD_BY_KEY, namespace, key, null, 0, null, HotQueries::recordRow);
    }

    StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        checkRecordName(namespace, key);
        requireNonNull(value, "value is null");
        if (expectedRevision < 0) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record " + namespace + "/" + key
                    + ": expected revision must be 0 (create) or positive (replace)");
        }
        byte[] bytes = value.clone();
        Instant now = Codec.stored(clock.instant());
        return db.write("putRecord", JdbcAccess.Affects.NO_SECRET, null, StorageChange.record(namespace, key), h -> {
            if (expectedRevision == 0) {
                int n = h.createUpdate("INSERT INTO records (namespace, record_key, value, revision, updated_at) "
                                + "VALUES (:ns, :key, :value, 1, :updatedAt) ON CONFLICT DO NOTHING")
                        .bind("ns", namespace)
                        .bind("key", key)
                        .bind("value", bytes)
                        .bind("updatedAt", Codec.micros(now))
                        .execute();
                if (n == 0) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "record " + namespace + "/" + key
                            + " already exists");
                }
                return new StoredRecord(namespace, key, bytes, 1, now);
            }
            int n = h.createUpdate("UPDATE records SET value = :value, revision = revision + 1, updated_at = :updatedAt "
                            + "WHERE namespace = :ns AND record_key = :key AND revision = :expected")
                    .bind("value", bytes)
                    .bind("updatedAt", Codec.micros(now))
                    .bind("ns", namespace)
                    .bind("key", key)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw recordMiss(h, namespace, key, expectedRevision);
            }
            return new StoredRecord(namespace, key, bytes, expectedRevision + 1, now);
        });
    }

    void deleteRecord(String namespace, String key, long expectedRevision) {
        checkRecordName(namespace, key);
        db.write("deleteRecord", JdbcAccess.Affects.NO_SECRET, null, StorageChange.record(namespace, key), h -> {
            int n = h.createUpdate("DELETE FROM records WHERE namespace = :ns AND record_key = :key "
                            + "AND revision = :expected")
                    .bind("ns", namespace)
                    .bind("key", key)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw recordMiss(h, namespace, key, expectedRevision);
            }
            return null;
        });
    }


    private static void checkRecordName(String namespace, String key) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(key, "key is null");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record namespace '" + namespace
                    + "' must match [a-z0-9_./-]{1,64}");
        }
        if (key.isEmpty() || key.length() > MAX_RECORD_KEY_LENGTH) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record keys in namespace '" + namespace
                    + "' must have 1 to " + MAX_RECORD_KEY_LENGTH + " characters");
        }
    }

    private static VaultException recordMiss(Handle h, String namespace, String key, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM records WHERE namespace = :ns AND record_key = :key")
                .bind("ns", namespace)
                .bind("key", key)
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.NOT_FOUND, "record " + namespace + "/" + key + " does not exist");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "record " + namespace + "/" + key + " is at revision "
                + revision.get() + ", not " + expectedRevision);
    }
}
