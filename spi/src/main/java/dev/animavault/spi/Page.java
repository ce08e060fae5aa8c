package dev.animavault.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a cursor-paginated listing.
 *
 * @param items      the items of this page, in the listing's order (copied)
 * @param nextCursor the opaque cursor for the next page; empty when this is the last page
 * @param <T>        the item type
 */
public record Page<T>(List<T> items, Optional<String> nextCursor) {
    public Page {
        items = List.copyOf(items);
        Objects.requireNonNull(nextCursor, "nextCursor is null");
    }

    /** A last page with the given items. */
    public static <T> Page<T> last(List<T> items) {
        return new Page<>(items, Optional.empty());
    }
}
