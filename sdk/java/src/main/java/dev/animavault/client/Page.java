package dev.animavault.client;

import java.util.AbstractList;
import java.util.List;
import java.util.Optional;

/**
 * One page of a listing: an unmodifiable list of its items plus {@link #nextCursor()}, to pass back as
 * the cursor of the next call until it is empty.
 */
public final class Page<T> extends AbstractList<T> {
    private final List<T> items;
    private final String nextCursor;

    Page(List<T> items, String nextCursor) {
        this.items = List.copyOf(items);
        this.nextCursor = nextCursor;
    }

    /** A page of these items (e.g. several pages joined); {@code nextCursor} null on the last. */
    public static <T> Page<T> of(List<T> items, String nextCursor) {
        return new Page<>(items, nextCursor);
    }

    @Override
    public T get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }

    /** The cursor of the next page; empty on the last. */
    public Optional<String> nextCursor() {
        return Optional.ofNullable(nextCursor);
    }
}
