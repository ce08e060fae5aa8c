package dev.animavault.spi;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded, lock-free memo of entries seen lately, for work that a listing repeats row by row (decoding a
 * stored row, checking its MAC): a fixed array of {@code 2^k} slots in pairs, two-way set associative, indexed
 * by a hash the caller computes for an entry. Core uses it for listed rows whose MAC checked out, the jdbc
 * storage plugin for rows it decoded; a third-party backend may use it the same way.
 *
 * <p><b>Lookup.</b> The caller reads the two candidates of its hash ({@link #candidate}, way 0 and 1) and
 * decides itself whether one matches (this class never compares entries: two array reads and the caller's
 * comparison, no lambda on the hot path). A slot's hash is read before its entry, so a miss costs two reads of
 * one {@code int} array instead of following two entries into memory no longer in the CPU's caches (on a walk
 * through more rows than the slots hold, that pointer chasing cost more than the work it saved). The hashes
 * are racy plain ints: a stale one only causes a miss or a comparison that fails.
 *
 * <p><b>Admission.</b> A caller keeps an entry ({@link #keep}) only when {@link #admit} says its hash was
 * noted before (a doorkeeper per slot), so a walk through more entries than the slots hold does not churn entries through the heap; a kept
 * entry replaces an empty way of its pair, else a random one. The doorkeeper's ints are racy on purpose: a
 * lost update only delays an admission.
 *
 * <p>Entries must be immutable; they are published with release semantics and read with acquire semantics.
 * Memory is bounded by the slot count. Thread-safe.
 *
 * @param <E> the kept entry (immutable)
 */
public final class RecentMemo<E> {

    private final AtomicReferenceArray<E> slots;
    /** The hashes noted once, per slot (the doorkeeper). */
    private final int[] seen;
    /** The hash of each slot's entry. */
    private final int[] hashes;
    private final int pairMask;

    /**
     * @param slots the number of entries kept, a power of two {@code >= 2}
     * @throws IllegalArgumentException when {@code slots} is not such a number
     */
    public RecentMemo(int slots) {
        if (slots < 2 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two >= 2: " + slots);
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.seen = new int[slots];
        this.hashes = new int[slots];
        this.pairMask = (slots - 1) & ~1;
    }

    private int pair(int hash) {
        return (hash ^ (hash >>> 16)) & pairMask;
    }

    /**
     * The entry in way {@code way} (0 or 1) of {@code hash}'s pair if it was kept under that same hash, else
     * null. The caller still compares it with what it looks for: equal hashes are not equal entries.
     */
    public E candidate(int hash, int way) {
        int i = pair(hash) + (way & 1);
        return hashes[i] == hash ? slots.getAcquire(i) : null;
    }

    /**
     * The doorkeeper: notes {@code hash} and tells whether it was noted before, i.e. whether an entry for it
     * should now be {@linkplain #keep kept} (the caller makes the entry only then).
     */
    public boolean admit(int hash) {
        int k = hash & (seen.length - 1);
        if (seen[k] != hash) {
            seen[k] = hash;
            return false;
        }
        return true;
    }

    /** Keeps {@code entry} under {@code hash}, in an empty way of its pair, else in a random one. */
    public void keep(int hash, E entry) {
        int i = pair(hash);
        if (slots.getAcquire(i) != null) {
            if (slots.getAcquire(i + 1) == null || ThreadLocalRandom.current().nextBoolean()) {
                i++;
            }
        }
        slots.setRelease(i, entry);
        hashes[i] = hash;
    }

    /** Forgets every entry and every noted hash. */
    public void clear() {
        for (int i = 0; i < slots.length(); i++) {
            slots.setRelease(i, null);
            seen[i] = 0;
            hashes[i] = 0;
        }
    }
}
