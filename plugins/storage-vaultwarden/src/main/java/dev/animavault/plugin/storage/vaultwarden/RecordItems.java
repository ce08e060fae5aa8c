package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StoredRecord;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Core's records in the {@link VaultwardenStorageBackend}: Secure Notes in the system collection
 * ({@code externalId} {@value ItemStore#SYSTEM_EXTERNAL_ID}), one per namespace and key. The backend checks
 * the arguments and that it is open, and calls the writes under the sync lock; each write holds the record's
 * lock. Thread-safe.
 */
final class RecordItems {
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9_./-]{1,64}");

    private final SyncedIndex sync;
    private final ItemStore items;
    private final ItemLocks locks;
    private final Clock clock;

    RecordItems(SyncedIndex sync, ItemStore items, ItemLocks locks, Clock clock) {
        this.sync = sync;
        this.items = items;
        this.locks = locks;
        this.clock = clock;
    }

    static void checkName(String namespace, String key) {
        Objects.requireNonNull(namespace, "namespace is null");
        Objects.requireNonNull(key, "key is null");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record namespace '" + namespace
                    + "' must match [a-z0-9_./-]{1,64}");
        }
        if (key.isEmpty() || key.length() > 256) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record keys must be 1 to 256 characters");
        }
    }

    Optional<StoredRecord> get(String namespace, String key) {
        ItemIndex.Entry<StoredRecord> e = sync.lookup(ix -> ix.records(namespace).get(key));
        if (e == null) {
            return Optional.empty();
        }
        Optional<StoredRecord> r = items.fetch(e.cipherId()).map(ItemMapper::decodeRecord)
                .filter(rec -> rec.namespace().equals(namespace) && rec.key().equals(key));
        if (r.isEmpty()) {
            sync.current().records(namespace).remove(key, e);
        } else {
            sync.current().records(namespace).put(key, new ItemIndex.Entry<>(e.cipherId(), r.get()));
        }
        return r;
    }

    /** Creates ({@code expectedRevision} 0) or conditionally replaces a record; {@code value} is the caller's copy. */
    StoredRecord put(String namespace, String key, byte[] value, long expectedRevision) {
        return locks.withLock(ItemLocks.record(namespace, key), () -> {
            ItemIndex ix = sync.current();
            ItemIndex.Entry<StoredRecord> e = ix.records(namespace).get(key);
            if (expectedRevision == 0) {
                if (e != null && items.fetch(e.cipherId()).isPresent()) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "record '" + namespace + "/" + key + "' already exists");
                }
                StoredRecord stored = new StoredRecord(namespace, key, value, 1, clock.instant());
                Item item = items.newItem(items.systemCollection(ix));
                ItemMapper.encodeRecord(stored, item);
                String id = items.createCipher(item);
                ix.records(namespace).put(key, new ItemIndex.Entry<>(id, stored));
                return stored;
            }
            Supplier<VaultException> notFound = () -> notFound(namespace, key);
            if (e == null) {
                throw notFound.get();
            }
            return items.updateLoop(e.cipherId(), notFound, item -> {
                StoredRecord current = ItemMapper.decodeRecord(item);
                ItemStore.checkRevision(current.revision(), expectedRevision, "record '" + namespace + "/" + key + "'");
                StoredRecord next = new StoredRecord(namespace, key, value, current.revision() + 1, clock.instant());
                ItemMapper.encodeRecord(next, item);
                return next;
            }, next -> {
                ix.records(namespace).put(key, new ItemIndex.Entry<>(e.cipherId(), next));
                return next;
            });
        });
    }

    void delete(String namespace, String key, long expectedRevision) {
        locks.withLock(ItemLocks.record(namespace, key), () -> {
            ItemIndex.Entry<StoredRecord> e = sync.current().records(namespace).get(key);
            Item item = e == null ? null : items.fetch(e.cipherId()).orElse(null);
            if (item == null) {
                throw notFound(namespace, key);
            }
            ItemStore.checkRevision(ItemMapper.decodeRecord(item).revision(), expectedRevision,
                    "record '" + namespace + "/" + key + "'");
            items.deleteCipher(e.cipherId());
            sync.current().records(namespace).remove(key);
            return null;
        });
    }

    private static VaultException notFound(String namespace, String key) {
        return new VaultException(ErrorCode.NOT_FOUND, "record '" + namespace + "/" + key + "' does not exist");
    }
}
