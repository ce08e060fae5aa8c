package dev.animavault.core.integrity;

import dev.animavault.core.integrity.ReplayGuard.Seen;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongPredicate;

/**
 * The {@link ReplayGuard}'s entries for secrets, in primitive arrays: per secret the digest of its reference (the
 * key), that of its identity, the highest revision seen, its MAC tag and whether a foreign change was notified
 * since. 40 bytes per slot, against ~128 bytes per entry in a Caffeine cache of {@code SecretKey -> Seen} (its
 * map node, its own node, the key and the value objects; docs/performance.md "Thirteenth pass: memory"). At the
 * guard's bound of 200,000 secrets that is ~10 MB of old generation instead of ~26, which every collection marks
 * and which the heap's cap (the heap's share of the RSS) must leave room for.
 *
 * <p>Bounded: the table is split into {@link #STRIPES} stripes, each under its own lock, each a set-associative table
 * of buckets of {@link #WAYS} slots that doubles while it is more than three quarters full, up to its share of
 * {@code max} rounded up to a power of two (262,144 slots in all for 200,000: ~10.5 MB). At that size a new secret
 * whose bucket is full replaces the bucket's least recently used entry (approximately the least recently used
 * overall, as the Caffeine cache's eviction was approximate too; the guard is a best-effort memory, docs/keys.md).
 * A slot is never allocated beyond that bound, however many secrets pass through. Thread-safe.
 *
 * <p>A lookup ({@link #get}, on every verified read) takes no lock: it reads the stripe optimistically and validates
 * its {@link StampedLock}'s stamp, and falls back to the write lock only when a writer intervened. It refreshes the
 * entry's use stamp (the LRU order) only when that stamp is older than a quarter of the stripe's slots in updates,
 * so reading one secret over and over writes nothing to shared memory (docs/performance.md "Fifteenth pass").
 */
final class SecretEntries {
    /** Independent stripes (each with its own lock and table). */
    static final int STRIPES = 64;
    /** Slots per bucket: a secret lives in one bucket of its stripe. */
    static final int WAYS = 8;
    private static final long FOREIGN = Long.MIN_VALUE;

    private final Stripe[] stripes = new Stripe[STRIPES];

    /** A table of at most about {@code max} entries. */
    SecretEntries(int max) {
        if (max < STRIPES * WAYS) {
            throw new IllegalArgumentException("max must be at least " + STRIPES * WAYS);
        }
        // the slots a stripe may grow to: its share of max, rounded up to a power of two
        int share = (max + STRIPES - 1) / STRIPES;
        int maxSlots = Integer.highestOneBit(share - 1) << 1;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe(maxSlots);
        }
    }

    private Stripe stripe(long ref) {
        return stripes[stripeOf(key(ref))];
    }

    /** The stripe of a key: the top 6 bits of its mixed digest (64 stripes; a bucket takes low bits). */
    static int stripeOf(long key) {
        return (int) (mix(key) >>> 58);
    }

    private static long mix(long ref) {
        long h = ref * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    private static long key(long ref) {
        return ref == 0 ? 1 : ref; // 0 marks an empty slot
    }

    /** The entry of {@code ref}, or null. */
    Seen get(long ref) {
        return stripe(ref).get(key(ref));
    }

    /**
     * Records {@code revision} and {@code tag} for {@code ref} unless the entry holds a revision at least as high
     * and no foreign change was notified since ({@link ReplayGuard#saw}). Returns the entry it replaced (whose tag
     * the caller retires when superseded), or null when there was none; returns the entry itself, unchanged, when it
     * was kept.
     */
    Seen see(long ref, long identity, long revision, long tag) {
        return stripe(ref).see(key(ref), identity, revision, tag);
    }

    /** Removes the entry of {@code ref}; returns it, or null. */
    Seen remove(long ref) {
        return stripe(ref).remove(key(ref));
    }

    /** Marks the entry of {@code ref}, if any, as changed by some node. */
    void markForeign(long ref) {
        stripe(ref).markForeign(key(ref));
    }

    /** Marks every entry as changed by some node. */
    void markAllForeign() {
        for (Stripe s : stripes) {
            s.markAllForeign();
        }
    }

    /** Removes the entries whose identity digest matches. */
    void removeIdentities(LongPredicate identity) {
        for (Stripe s : stripes) {
            s.removeIdentities(identity);
        }
    }

    /** How many entries there are (each stripe counted under its lock, not all at once; for tests). */
    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            n += s.size();
        }
        return n;
    }

    /** How many slots are allocated in all (bounded by about {@code max}; for tests). */
    int slots() {
        int n = 0;
        for (Stripe s : stripes) {
            n += s.slots();
        }
        return n;
    }

    private static final class Stripe {
        private final int maxSlots;
        private long[] keys = new long[WAYS];
        private long[] identities = new long[WAYS];
        private long[] revisions = new long[WAYS];
        private long[] tags = new long[WAYS];
        /** Last use (a count per stripe), with {@link #FOREIGN} as its top bit. */
        private long[] uses = new long[WAYS];
        private int count;
        private long clock;
        /** Guards every field; {@link #get} reads optimistically. */
        private final StampedLock lock = new StampedLock();

        Stripe(int maxSlots) {
            this.maxSlots = Math.max(WAYS, maxSlots);
        }

        private int bucket(long key, int slotCount) {
            int buckets = slotCount / WAYS;
            return (int) (mix(key) & (buckets - 1)) * WAYS; // low bits: the stripe took the top ones
        }

        private int find(long key) {
            int b = bucket(key, keys.length);
            for (int i = b; i < b + WAYS; i++) {
                if (keys[i] == key) {
                    return i;
                }
            }
            return -1;
        }

        private Seen entry(int i) {
            return new Seen(revisions[i], tags[i], (uses[i] & FOREIGN) != 0);
        }

        Seen get(long key) {
            long stamp = lock.tryOptimisticRead();
            if (stamp != 0) {
                // the fields may change under this read (a writer, a grow): nothing read here is used before the
                // stamp validates, and arrays of different lengths (a grow half seen) send it to the locked path
                long[] k = keys;
                long[] r = revisions;
                long[] t = tags;
                long[] u = uses;
                long now = clock;
                if (k.length == r.length && k.length == t.length && k.length == u.length) {
                    int b = bucket(key, k.length);
                    int i = -1;
                    for (int j = b; j < b + WAYS; j++) {
                        if (k[j] == key) {
                            i = j;
                            break;
                        }
                    }
                    long revision = i < 0 ? 0 : r[i];
                    long tag = i < 0 ? 0 : t[i];
                    long use = i < 0 ? 0 : u[i];
                    if (lock.validate(stamp)) {
                        if (i < 0) {
                            return null;
                        }
                        if (now - (use & ~FOREIGN) > k.length / 4) {
                            touch(key);
                        }
                        return new Seen(revision, tag, (use & FOREIGN) != 0);
                    }
                }
            }
            long w = lock.writeLock();
            try {
                int i = find(key);
                if (i < 0) {
                    return null;
                }
                uses[i] = (uses[i] & FOREIGN) | ++clock;
                return entry(i);
            } finally {
                lock.unlockWrite(w);
            }
        }

        /** Marks {@code key}'s entry, if still there, as just used. */
        private void touch(long key) {
            long w = lock.writeLock();
            try {
                int i = find(key);
                if (i >= 0) {
                    uses[i] = (uses[i] & FOREIGN) | ++clock;
                }
            } finally {
                lock.unlockWrite(w);
            }
        }

        Seen see(long key, long identity, long revision, long tag) {
            long w = lock.writeLock();
            try {
                return seeLocked(key, identity, revision, tag);
            } finally {
                lock.unlockWrite(w);
            }
        }

        private Seen seeLocked(long key, long identity, long revision, long tag) {
            int i = find(key);
            if (i >= 0) {
                Seen old = entry(i);
                if (!old.foreign() && old.revision() >= revision) {
                    uses[i] = ++clock;
                    return old;
                }
                identities[i] = identity;
                revisions[i] = revision;
                tags[i] = tag;
                uses[i] = ++clock;
                return old;
            }
            if (count >= keys.length * 3 / 4 && keys.length < maxSlots) {
                grow();
            }
            i = freeOrOldest(key);
            while (keys[i] != 0 && keys.length < maxSlots) { // a full bucket below the bound: no eviction yet
                grow();
                i = freeOrOldest(key);
            }
            if (keys[i] == 0) {
                count++;
            }
            keys[i] = key;
            identities[i] = identity;
            revisions[i] = revision;
            tags[i] = tag;
            uses[i] = ++clock;
            return null;
        }

        /** A free slot of {@code key}'s bucket, or its least recently used one. */
        private int freeOrOldest(long key) {
            int b = bucket(key, keys.length);
            int oldest = b;
            for (int i = b; i < b + WAYS; i++) {
                if (keys[i] == 0) {
                    return i;
                }
                if ((uses[i] & ~FOREIGN) < (uses[oldest] & ~FOREIGN)) {
                    oldest = i;
                }
            }
            return oldest;
        }

        private void grow() {
            long[] oldKeys = keys;
            long[] oldIdentities = identities;
            long[] oldRevisions = revisions;
            long[] oldTags = tags;
            long[] oldUses = uses;
            int n = oldKeys.length * 2;
            keys = new long[n];
            identities = new long[n];
            revisions = new long[n];
            tags = new long[n];
            uses = new long[n];
            count = 0;
            for (int j = 0; j < oldKeys.length; j++) {
                if (oldKeys[j] != 0) {
                    // a bucket splits in two when the table doubles: every entry finds a free slot
                    int i = freeOrOldest(oldKeys[j]);
                    keys[i] = oldKeys[j];
                    identities[i] = oldIdentities[j];
                    revisions[i] = oldRevisions[j];
                    tags[i] = oldTags[j];
                    uses[i] = oldUses[j];
                    count++;
                }
            }
        }

        Seen remove(long key) {
            long w = lock.writeLock();
            try {
                int i = find(key);
                if (i < 0) {
                    return null;
                }
                Seen old = entry(i);
                keys[i] = 0;
                count--;
                return old;
            } finally {
                lock.unlockWrite(w);
            }
        }

        void markForeign(long key) {
            long w = lock.writeLock();
            try {
                int i = find(key);
                if (i >= 0) {
                    uses[i] |= FOREIGN;
                }
            } finally {
                lock.unlockWrite(w);
            }
        }

        void markAllForeign() {
            long w = lock.writeLock();
            try {
                for (int i = 0; i < keys.length; i++) {
                    uses[i] |= FOREIGN;
                }
            } finally {
                lock.unlockWrite(w);
            }
        }

        void removeIdentities(LongPredicate identity) {
            long w = lock.writeLock();
            try {
                for (int i = 0; i < keys.length; i++) {
                    if (keys[i] != 0 && identity.test(identities[i])) {
                        keys[i] = 0;
                        count--;
                    }
                }
            } finally {
                lock.unlockWrite(w);
            }
        }

        int size() {
            long r = lock.readLock();
            try {
                return count;
            } finally {
                lock.unlockRead(r);
            }
        }

        int slots() {
            long r = lock.readLock();
            try {
                return keys.length;
            } finally {
                lock.unlockRead(r);
            }
        }
    }
}
