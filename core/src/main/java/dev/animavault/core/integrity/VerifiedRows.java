package dev.animavault.core.integrity;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Listed rows whose MAC checked out lately, so that a page listed again skips the HMAC of rows that have not
 * changed (issue 19: the MAC check was a third of a page's server CPU). A row counts as checked only when it
 * is {@linkplain Object#equals equal}, field by field, to a row that passed the full check: the MAC is a
 * function of the row's fields and of the key its {@code _mac} names, so an equal row under the same field
 * would pass it again, and any edit of a stored row (a label, the type, the MAC itself, a timestamp) makes
 * it unequal and sends it through the full check. What is served for an equal row is what the full check
 * produced for it ({@code served}: an identity without its {@code _mac} label).
 *
 * <p>A fixed array of {@code 2^k} slots in pairs (two-way set associative, indexed by the hash of the
 * {@code _mac} field value, which differs for every write), so its memory is bounded (a few MB at most) and
 * a lookup is two array reads and an {@code equals}. Entries are immutable records of immutable SPI
 * records, published with release semantics. Only rows checked under a key (never rows accepted without a
 * MAC) are remembered, and {@link #clear} forgets everything when the keys change. Thread-safe, lock-free.
 *
 * @param <T> the stored row (as the backend returned it)
 * @param <R> what the check serves for it
 */
final class VerifiedRows<T, R> {
    private record Entry<T, R>(T stored, R served) {
    }

    private final AtomicReferenceArray<Entry<T, R>> slots;
    /**
     * The hashes of rows missed once, per slot: a row is remembered only when it is missed a second time
     * (a doorkeeper), so a walk through more rows than the slots hold does not churn entries through the heap.
     * Racy plain ints on purpose: a lost update only delays an admission.
     */
    private final int[] seen;
    /**
     * The hash of each slot's entry, read before the entry: a miss then costs two reads of one array instead of
     * following two entries into memory no longer in the CPU's caches (on a walk through more rows than the
     * slots hold, that pointer chasing cost more than the work it saved). Racy plain ints: the entry's own
     * comparison decides.
     */
    private final int[] hashes;
    private final int pairMask;

    /** @param slots the number of rows kept, a power of two >= 2 */
    VerifiedRows(int slots) {
        if (slots < 2 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two >= 2: " + slots);
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.seen = new int[slots];
        this.hashes = new int[slots];
        this.pairMask = (slots - 1) & ~1;
    }

    private int pair(int h) {
        return (h ^ (h >>> 16)) & pairMask;
    }

    /** What was served for a row equal to {@code stored} whose {@code _mac} is {@code mac}; null if none. */
    R served(T stored, String mac) {
        int h = mac.hashCode();
        int i = pair(h);
        if (hashes[i] == h) {
            Entry<T, R> e = slots.getAcquire(i);
            if (e != null && e.stored.equals(stored)) {
                return e.served;
            }
        }
        if (hashes[i + 1] == h) {
            Entry<T, R> e = slots.getAcquire(i + 1);
            if (e != null && e.stored.equals(stored)) {
                return e.served;
            }
        }
        return null;
    }

    /**
     * Remembers that {@code stored} (with {@code _mac} {@code mac}) passed the full check and served
     * {@code served}, if such a row was missed before (else only its hash is noted).
     */
    void remember(T stored, String mac, R served) {
        int h = mac.hashCode();
        int k = h & (seen.length - 1);
        if (seen[k] != h) {
            seen[k] = h;
            return;
        }
        int i = pair(h);
        if (slots.getAcquire(i) != null) {
            if (slots.getAcquire(i + 1) == null || ThreadLocalRandom.current().nextBoolean()) {
                i++;
            }
        }
        slots.setRelease(i, new Entry<>(stored, served));
        hashes[i] = h;
    }

    /** Forgets every row. */
    void clear() {
        for (int i = 0; i < slots.length(); i++) {
            slots.setRelease(i, null);
            seen[i] = 0;
            hashes[i] = 0;
        }
    }
}
