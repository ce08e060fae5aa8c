package dev.animavault.core.rotation;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The durable due schedule: one record per scheduled step in namespace {@value #NAMESPACE}, keyed
 * {@code <due epoch millis, 15 digits>/<ref hash>}, so listing the namespace in key order yields the
 * due entries first and the poller stops at the first one not yet due: the cost of a poll depends on
 * how many entries are due, not on how many secrets exist. The value names the secret
 * ({@code org \n identity \n key}). Decision: records rather than a table of its own, so every storage
 * backend (jdbc, vaultwarden) has it without a new SPI method.
 *
 * <p>An index, not the truth: the secret's {@link LifecycleAttributes#SCHEDULE_KEY} names the one valid
 * entry; others are stale and dropped when met.
 */
final class RotationSchedule {
    static final String NAMESPACE = "rotation-schedule";

    /** A due entry; {@code written} is when the record was stored. */
    record Entry(String key, Instant due, SecretRef ref, long revision, Instant written) {
    }

    private final StorageBackend storage;
    private final String namespace;

    RotationSchedule(StorageBackend storage) {
        this(storage, NAMESPACE);
    }

    /** A schedule of the same layout in another namespace (the retired-version sweeps). */
    RotationSchedule(StorageBackend storage, String namespace) {
        this.storage = storage;
        this.namespace = namespace;
    }

    /** A short stable name for a secret (lease names and schedule keys are length-limited). */
    static String refHash(SecretRef ref) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((ref.organizationId() + "\n" + ref.identityId()
                    + "\n" + ref.key()).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String key(Instant due, SecretRef ref) {
        return String.format("%015d/%s", Math.max(0, due.toEpochMilli()), refHash(ref));
    }

    /** Writes an entry (idempotent) and returns its key. */
    String put(SecretRef ref, Instant due) {
        String key = key(due, ref);
        byte[] value = (ref.organizationId() + "\n" + ref.identityId() + "\n" + ref.key())
                .getBytes(StandardCharsets.UTF_8);
        try {
            storage.putRecord(namespace, key, value, 0);
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        }
        return key;
    }

    /** Removes an entry if it is there. */
    void remove(String key) {
        if (key == null) {
            return;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<StoredRecord> r = storage.getRecord(namespace, key);
            if (r.isEmpty()) {
                return;
            }
            try {
                storage.deleteRecord(namespace, key, r.get().revision());
                return;
            } catch (VaultException e) {
                if (e.errorCode() == ErrorCode.NOT_FOUND) {
                    return;
                }
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                    throw e;
                }
            }
        }
    }

    /** Entries due at {@code now}, oldest first, at most {@code max}. */
    List<Entry> due(Instant now, int max) {
        List<Entry> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        int pageSize = Math.min(16, max); // usually nothing is due: read little; grow while everything is
        while (out.size() < max) {
            Page<StoredRecord> page = storage.listRecords(namespace, new PageRequest(pageSize, cursor));
            pageSize = Math.min(200, max);
            for (StoredRecord r : page.items()) {
                Entry e = parse(r);
                if (e == null) {
                    continue;
                }
                if (e.due().isAfter(now) || out.size() >= max) {
                    return out;
                }
                out.add(e);
            }
            if (page.nextCursor().isEmpty()) {
                return out;
            }
            cursor = page.nextCursor();
        }
        return out;
    }

    /** When the earliest entry is due, if any. */
    Optional<Instant> earliest() {
        Page<StoredRecord> page = storage.listRecords(namespace, new PageRequest(1, Optional.empty()));
        return page.items().stream().findFirst().map(RotationSchedule::parse).map(Entry::due);
    }

    private static Entry parse(StoredRecord r) {
        int slash = r.key().indexOf('/');
        String[] parts = new String(r.value(), StandardCharsets.UTF_8).split("\n", 3);
        if (slash != 15 || parts.length != 3) {
            return null;
        }
        try {
            return new Entry(r.key(), Instant.ofEpochMilli(Long.parseLong(r.key().substring(0, slash))),
                    new SecretRef(parts[0], parts[1], parts[2]), r.revision(), r.updatedAt());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
