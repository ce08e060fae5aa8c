package dev.animavault.plugin.storage.jdbc;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Listed rows decoded lately, by their one-column text ({@link Listing}): a page listed again gets the same
 * objects back instead of parsing its rows' two JSON maps and numbers again (issue 19: decoding was a fifth of
 * a secrets page's CPU), and core's check of a row it has seen before ({@code VerifiedRows}) then finds an
 * equal row at once. Decoding is a pure function of the text and of the key columns the query was bound to
 * ({@code scope}: organization, and identity for secrets), so an entry is used only when both are equal to
 * the row's: any change of a stored row changes its text and misses. Nothing is trusted here; core checks
 * every row it is given.
 *
 * <p>A fixed array of {@code 2^k} slots in pairs (two-way set associative, indexed by the text's hash), so
 * memory stays bounded; entries are immutable and published with release semantics. Thread-safe, lock-free.
 *
 * @param <T> the decoded row
 */
final class DecodedRows<T> {
    private record Entry<T>(String scope, String text, T row) {
    }

    private final AtomicReferenceArray<Entry<T>> slots;
    /**
     * The hashes of texts missed once, per slot: a row is kept only when it is decoded a second time (a
     * doorkeeper), so a walk through more rows than the slots hold does not churn entries through the heap.
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
    DecodedRows(int slots) {
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

    /** The row decoded from {@code text} under {@code scope} lately, or null. */
    T get(String scope, String text) {
        int h = text.hashCode();
        int i = pair(h);
        if (hashes[i] == h) {
            Entry<T> e = slots.getAcquire(i);
            if (e != null && e.text.equals(text) && e.scope.equals(scope)) {
                return e.row;
            }
        }
        if (hashes[i + 1] == h) {
            Entry<T> e = slots.getAcquire(i + 1);
            if (e != null && e.text.equals(text) && e.scope.equals(scope)) {
                return e.row;
            }
        }
        return null;
    }

    /** Remembers {@code row}, decoded from {@code text} under {@code scope}, if that text was decoded before. */
    void put(String scope, String text, T row) {
        int h = text.hashCode();
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
        slots.setRelease(i, new Entry<>(scope, text, row));
        hashes[i] = h;
    }
}
