package dev.animavault.client;

import java.util.AbstractList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

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

    /**
     * Every item of a listing, fetching page after page as the stream is consumed ({@code fetch} gets the
     * cursor, null for the first page). Not thread-safe, like any stream; a failed fetch throws from the
     * terminal operation.
     */
    static <T> Stream<T> all(Function<String, Page<T>> fetch) {
        Iterator<T> items = new Iterator<>() {
            private Page<T> page = fetch.apply(null);
            private int next;

            @Override
            public boolean hasNext() {
                while (next >= page.size() && page.nextCursor().isPresent()) {
                    page = fetch.apply(page.nextCursor().get());
                    next = 0;
                }
                return next < page.size();
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.get(next++);
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(items, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    /** The cursor of the next page; empty on the last. */
    public Optional<String> nextCursor() {
        return Optional.ofNullable(nextCursor);
    }
}
