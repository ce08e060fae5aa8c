package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Keeps the {@link ItemIndex} of the {@link VaultwardenStorageBackend} fresh: polls the account's revision
 * date ({@code GET /api/accounts/revision-date}) at most once per sync interval and rebuilds the index from
 * a full {@code /api/sync} when it changed. Writes run under the read side of the sync lock
 * ({@link #underReadLock}), so a rebuild never replaces the index in the middle of a write. Thread-safe.
 */
final class SyncedIndex {
    private final VaultwardenApi api;
    private final String orgId;
    private final SymmetricKey orgKey;
    private final Clock clock;
    private final Duration syncInterval;
    private final ReentrantReadWriteLock syncLock = new ReentrantReadWriteLock();
    private volatile ItemIndex index = new ItemIndex();
    private volatile Instant lastRevisionCheck = Instant.EPOCH;
    private volatile long lastRevisionDate = Long.MIN_VALUE;

    SyncedIndex(VaultwardenApi api, String orgId, SymmetricKey orgKey, Clock clock, Duration syncInterval) {
        this.api = api;
        this.orgId = orgId;
        this.orgKey = orgKey;
        this.clock = clock;
        this.syncInterval = syncInterval;
    }

    /** The index as it is now (replaced, never changed in place, by a rebuild). */
    ItemIndex current() {
        return index;
    }

    /** Builds the first index from the factory's sync answer, then runs {@code then} on it under the write lock. */
    void start(JsonNode initialSync, Consumer<ItemIndex> then) {
        syncLock.writeLock().lock();
        try {
            index = ItemIndex.build(initialSync, orgId, orgKey);
            lastRevisionCheck = clock.instant();
            then.accept(index);
        } finally {
            syncLock.writeLock().unlock();
        }
    }

    /** Runs a write under the read side of the sync lock. */
    <T> T underReadLock(Supplier<T> op) {
        syncLock.readLock().lock();
        try {
            return op.get();
        } finally {
            syncLock.readLock().unlock();
        }
    }

    /** Looks up the index; on a miss refreshes it if it is older than the sync interval and looks again. */
    <T> T lookup(Function<ItemIndex, T> get) {
        T v = get.apply(index);
        if (v == null && refresh(false)) {
            v = get.apply(index);
        }
        return v;
    }

    /**
     * Polls the account revision date (at most once per sync interval unless forced) and rebuilds the
     * index from a full sync when it changed. Returns whether the index was rebuilt.
     */
    boolean refresh(boolean force) {
        if (!force && clock.instant().isBefore(lastRevisionCheck.plus(syncInterval))) {
            return false;
        }
        syncLock.writeLock().lock();
        try {
            if (!force && clock.instant().isBefore(lastRevisionCheck.plus(syncInterval))) {
                return false;
            }
            Instant now = clock.instant();
            VaultwardenApi.Response r = api.call("GET", "/accounts/revision-date", null);
            if (!r.ok() || r.body() == null || !r.body().canConvertToLong()) {
                throw ItemStore.unexpected("reading the account revision date", r);
            }
            long revisionDate = r.body().asLong();
            lastRevisionCheck = now;
            if (!force && revisionDate == lastRevisionDate) {
                return false;
            }
            VaultwardenApi.Response sync = api.call("GET", "/sync?excludeDomains=true", null);
            if (!sync.ok() || sync.body() == null) {
                throw ItemStore.unexpected("syncing", sync);
            }
            ItemIndex rebuilt = ItemIndex.build(sync.body(), orgId, orgKey);
            index = rebuilt;
            lastRevisionDate = revisionDate;
            return true;
        } finally {
            syncLock.writeLock().unlock();
        }
    }
}
