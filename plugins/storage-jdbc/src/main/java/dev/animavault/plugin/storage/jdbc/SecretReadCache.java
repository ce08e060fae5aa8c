package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredSecret;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process, write-through, strictly coherent cache of {@code readSecret} results: what storage
 * holds (metadata and the version's sealed ciphertext as stored; this plugin never sees plaintext),
 * keyed by organization, identity, key and version-or-current. Only rows that were found are cached.
 * Used only while this process is the sole writer of the database (SQLite with its lock file held, see
 * {@link SqliteLockFile}); a write by anyone else would not be seen.
 *
 * <p><b>Layout.</b> One Caffeine entry per {@link SecretRef} holds up to one slot for the current
 * version plus {@value #VERSIONS_PER_SECRET} slots for explicitly requested versions; its weight is its
 * number of slots, so {@code read-cache-size} bounds the number of cached reads (W-TinyLFU eviction).
 * Keying by ref makes "drop every cached version of this secret" one map operation. Entries are
 * immutable and so are the cached objects: {@link dev.animavault.spi.storage.SecretVersion} copies its
 * bytes in and out and {@link dev.animavault.spi.storage.SecretMetadata} holds immutable maps, so one
 * {@link StoredSecret} is safely handed to every caller.
 *
 * <p><b>Coherence</b> (a write that has returned is seen by every read that starts after it):
 * <ul>
 * <li>{@code writeEpoch} counts finished writes. Every write, after its transaction ended (committed
 *     or not, in a {@code finally}), increments it and only then invalidates: the written secret's
 *     entry ({@link #afterWrite(SecretRef)}), or everything ({@link #afterWriteToAll()}), before the
 *     write method returns.</li>
 * <li>A reader that misses takes {@code e0 = writeEpoch} <em>before</em> its database read and stores
 *     the result only if {@code writeEpoch == e0} still holds, checked inside an atomic per-key
 *     {@code compute} ({@link #put}).</li>
 * <li>Why no stale value survives: say a reader's database read missed the commit of write W. The
 *     read started before that commit, so {@code e0} was read before W's increment. If the reader's
 *     {@code compute} runs after W's increment, the check fails and nothing is stored. If it runs
 *     before, W's invalidation, which comes after its increment, is itself a {@code compute} on the
 *     same key: it is serialized with the reader's (it waits for it to finish, also when the key was
 *     absent, since both then contend on the same empty hash bin) and removes what was stored. Either
 *     way the stale value is gone when W returns. A value stored later passed the check with an
 *     {@code e0} taken after W's increment, so its database read started after W's commit and saw it
 *     (SQLite reads run in autocommit mode: each starts a fresh read transaction).</li>
 * <li>Dropping everything (identity deleted: its secrets go by cascade) cannot rely on a per-key
 *     operation reaching keys being inserted during the sweep, so each slot records the {@code e0} of
 *     the read that produced it and {@code floor} (raised to the writer's post-increment epoch before
 *     the sweep) voids every slot read before it: by the argument above, a stale slot has
 *     {@code e0 <} that epoch. The sweep only frees the memory.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
final class SecretReadCache {

    /** Explicitly requested versions kept per secret, besides the current one. */
    static final int VERSIONS_PER_SECRET = 4;
    /** The version-or-current key part of a read of the current version. */
    static final int CURRENT = 0;

    private final AtomicLong writeEpoch = new AtomicLong();
    /** Slots whose read began at an epoch below this are void (see {@link #afterWriteToAll()}). */
    private final AtomicLong floor = new AtomicLong();
    private final Cache<SecretRef, Entry> cache;
    private final ConcurrentMap<SecretRef, Entry> map;
    /** Test hook: runs between a reader's database read and its insert; null in production. */
    private volatile Runnable beforeInsert;
    /** Test hook: runs inside the insert's {@code compute}, after the epoch check passed; null in production. */
    private volatile Runnable afterCheck;

    /** @param maxEntries the most cached reads (slots), at least 1 */
    SecretReadCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxEntries)
                .weigher((SecretRef ref, Entry e) -> e.slots.length)
                .executor(Runnable::run) // maintenance on the calling threads: no tasks left in a shared pool
                .build();
        this.map = cache.asMap();
    }

    /** The epoch a reader takes before its database read, for {@link #put}. */
    long epoch() {
        return writeEpoch.get();
    }

    /**
     * The cached read of {@code version} ({@link #CURRENT} or a version number) of {@code ref}, or null.
     * The same {@link Optional} instance every time: no allocation on a hit.
     */
    Optional<StoredSecret> get(SecretRef ref, int version) {
        Entry e = cache.getIfPresent(ref);
        if (e == null) {
            return null;
        }
        for (Slot s : e.slots) {
            if (s.version == version) {
                return s.epoch >= floor.get() ? s.value : null;
            }
        }
        return null;
    }

    /**
     * Stores what a database read found, unless a write finished since {@code e0} (taken with
     * {@link #epoch()} before that read).
     */
    void put(SecretRef ref, int version, StoredSecret value, long e0) {
        requireNonNull(value, "value is null");
        Runnable hook = beforeInsert;
        if (hook != null) {
            hook.run();
        }
        Slot slot = new Slot(version, Optional.of(value), e0);
        map.compute(ref, (k, old) -> {
            if (writeEpoch.get() != e0) {
                return old; // a write finished since e0: what was read may be stale
            }
            Runnable inside = afterCheck;
            if (inside != null) {
                inside.run();
            }
            return Entry.with(old, slot, floor.get());
        });
    }

    /** After a write to the secret {@code ref} ended (in a finally): drops every cached read of it. */
    void afterWrite(SecretRef ref) {
        writeEpoch.incrementAndGet();
        // compute, not remove: it takes the key's bin also when the key is absent (see the class comment)
        map.compute(ref, (k, old) -> null);
    }

    /** After a write that changes no secret's stored state ended (records, new identities). */
    void afterWriteToNoSecret() {
        writeEpoch.incrementAndGet();
    }

    /** After a write that may change any secret ended (identity update or delete): drops everything. */
    void afterWriteToAll() {
        long e = writeEpoch.incrementAndGet();
        floor.accumulateAndGet(e, Math::max);
        cache.invalidateAll();
    }

    /** Test hook: the number of cached reads. */
    long size() {
        cache.cleanUp();
        return map.values().stream().mapToLong(e -> e.slots.length).sum();
    }

    /** Test hook: {@code hook} runs in every {@link #put} before the insert; null removes it. */
    void beforeInsert(Runnable hook) {
        this.beforeInsert = hook;
    }

    /**
     * Test hook: {@code hook} runs in every {@link #put} inside the atomic {@code compute}, after the epoch
     * check passed (holding the key's lock); null removes it.
     */
    void afterCheck(Runnable hook) {
        this.afterCheck = hook;
    }

    /** One cached read: the key's version part, the result and the epoch its read began at. */
    private record Slot(int version, Optional<StoredSecret> value, long epoch) {
    }

    /** The cached reads of one secret; immutable, replaced as a whole. */
    private static final class Entry {
        private final Slot[] slots;

        private Entry(Slot[] slots) {
            this.slots = slots;
        }

        /**
         * {@code old} (may be null) with {@code slot} added or replacing the slot of the same version;
         * slots voided by {@code floor} are dropped, and the oldest explicit version when there are more
         * than {@link #VERSIONS_PER_SECRET}.
         */
        static Entry with(Entry old, Slot slot, long floor) {
            Slot[] out = new Slot[(old == null ? 0 : old.slots.length) + 1];
            int n = 0;
            int explicit = slot.version == CURRENT ? 0 : 1;
            if (old != null) {
                // newest last: walk backwards to keep the newest explicit versions
                Slot[] kept = new Slot[old.slots.length];
                int k = 0;
                for (int i = old.slots.length - 1; i >= 0; i--) {
                    Slot s = old.slots[i];
                    if (s.version == slot.version || s.epoch < floor) {
                        continue;
                    }
                    if (s.version != CURRENT) {
                        if (explicit == VERSIONS_PER_SECRET) {
                            continue;
                        }
                        explicit++;
                    }
                    kept[k++] = s;
                }
                for (int i = k - 1; i >= 0; i--) {
                    out[n++] = kept[i];
                }
            }
            out[n++] = slot;
            return new Entry(n == out.length ? out : java.util.Arrays.copyOf(out, n));
        }
    }
}
