package dev.animavault.core.integrity;

import dev.animavault.spi.RecentMemo;

/**
 * Listed rows whose MAC checked out lately, so that a page listed again skips the HMAC of rows that have not
 * changed (issue 19: the MAC check was a third of a page's server CPU). A row counts as checked only when it
 * is {@linkplain Object#equals equal}, field by field, to a row that passed the full check: the MAC is a
 * function of the row's fields and of the key its {@code _mac} names, so an equal row under the same field
 * would pass it again, and any edit of a stored row (a label, the type, the MAC itself, a timestamp) makes
 * it unequal and sends it through the full check. What is served for an equal row is what the full check
 * produced for it ({@code served}: an identity without its {@code _mac} label).
 *
 * <p>Kept in a {@link RecentMemo} (two-way set associative, indexed by the hash of the {@code _mac} field
 * value, which differs for every write; a doorkeeper for admission), so its memory is bounded (a few MB at
 * most) and a lookup is two array reads and an {@code equals}. Entries are immutable records of immutable SPI
 * records. Only rows checked under a key (never rows accepted without a
 * MAC) are remembered, and {@link #clear} forgets everything when the keys change. Thread-safe, lock-free.
 *
 * @param <T> the stored row (as the backend returned it)
 * @param <R> what the check serves for it
 */
final class VerifiedRows<T, R> {
    private record Entry<T, R>(T stored, R served) {
    }

    private final RecentMemo<Entry<T, R>> memo;

    /** @param slots the number of rows kept, a power of two >= 2 */
    VerifiedRows(int slots) {
        this.memo = new RecentMemo<>(slots);
    }

    /** What was served for a row equal to {@code stored} whose {@code _mac} is {@code mac}; null if none. */
    R served(T stored, String mac) {
        int h = mac.hashCode();
        for (int way = 0; way < 2; way++) {
            Entry<T, R> e = memo.candidate(h, way);
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
        if (memo.admit(h)) {
            memo.keep(h, new Entry<>(stored, served));
        }
    }

    /** Forgets every row. */
    void clear() {
        memo.clear();
    }
}
