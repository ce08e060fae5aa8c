package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.RecentMemo;

/**
 * Listed rows decoded lately, by their one-column text ({@link Listing}): a page listed again gets the same
 * objects back instead of parsing its rows' two JSON maps and numbers again (issue 19: decoding was a fifth of
 * a secrets page's CPU), and core's check of a row it has seen before ({@code VerifiedRows}) then finds an
 * equal row at once. Decoding is a pure function of the text and of the key columns the query was bound to
 * ({@code scope}: organization, and identity for secrets), so an entry is used only when both are equal to
 * the row's: any change of a stored row changes its text and misses. Nothing is trusted here; core checks
 * every row it is given.
 *
 * <p>Kept in a {@link RecentMemo} indexed by the text's hash (two-way set associative, a doorkeeper for
 * admission), so memory stays bounded; entries are immutable. Thread-safe, lock-free.
 *
 * @param <T> the decoded row
 */
final class DecodedRows<T> {
    private record Entry<T>(String scope, String text, T row) {
    }

    private final RecentMemo<Entry<T>> memo;

    /** @param slots the number of rows kept, a power of two >= 2 */
    DecodedRows(int slots) {
        this.memo = new RecentMemo<>(slots);
    }

    /** The row decoded from {@code text} under {@code scope} lately, or null. */
    T get(String scope, String text) {
        int h = text.hashCode();
        for (int way = 0; way < 2; way++) {
            Entry<T> e = memo.candidate(h, way);
            if (e != null && e.text.equals(text) && e.scope.equals(scope)) {
                return e.row;
            }
        }
        return null;
    }

    /** Remembers {@code row}, decoded from {@code text} under {@code scope}, if that text was decoded before. */
    void put(String scope, String text, T row) {
        int h = text.hashCode();
        if (memo.admit(h)) {
            memo.keep(h, new Entry<>(scope, text, row));
        }
    }
}
