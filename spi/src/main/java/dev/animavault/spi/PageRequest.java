package dev.animavault.spi;

import java.util.Optional;

/**
 * A request for one page of a listing.
 *
 * @param limit  how many items at most, 1 to {@link #MAX_LIMIT}
 * @param cursor the opaque cursor a previous {@link Page} returned; empty for the first page
 */
public record PageRequest(int limit, Optional<String> cursor) {
    /** The largest page size any listing accepts. */
    public static final int MAX_LIMIT = 1000;

    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "limit must be between 1 and " + MAX_LIMIT);
        }
        cursor = cursor == null ? Optional.empty() : cursor.filter(c -> !c.isEmpty());
    }

    /** The first page of the given size. */
    public static PageRequest first(int limit) {
        return new PageRequest(limit, Optional.empty());
    }

    /** The page after the given cursor. */
    public static PageRequest after(int limit, String cursor) {
        return new PageRequest(limit, Optional.ofNullable(cursor));
    }
}
