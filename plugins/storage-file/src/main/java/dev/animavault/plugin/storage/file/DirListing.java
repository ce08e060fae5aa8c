package dev.animavault.plugin.storage.file;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.function.Function;

/**
 * The listings of the {@link FileStorageBackend}: a page of a directory's items in id order, from the
 * {@link DirIndex}, one file read per item returned; the cursor is the last id returned.
 */
final class DirListing {
    private final DirIndex index;
    private final StoreGuard guard;

    DirListing(DirIndex index, StoreGuard guard) {
        this.index = index;
        this.guard = guard;
    }

    /** A page of {@code dir}; {@code read} turns a file name into its item (null when it is gone). */
    <T> Page<T> page(Path dir, Function<Path, String> hashedId, PageRequest page, StoreGuard.IoFunction<String, T> read,
                     String what) {
        String after = page.cursor().map(Rules::decodeCursor).orElse(null);
        return guard.io(() -> {
            NavigableMap<String, String> ids = index.of(dir, hashedId);
            if (ids == null) {
                return Page.last(List.of());
            }
            NavigableMap<String, String> tail = after == null ? ids : ids.tailMap(after, false);
            List<T> items = new ArrayList<>(page.limit());
            String last = null;
            for (Map.Entry<String, String> e : tail.entrySet()) {
                T item = read.apply(e.getValue());
                if (item == null) {
                    continue; // removed since the listing was read
                }
                items.add(item);
                last = e.getKey();
                if (items.size() == page.limit()) {
                    break;
                }
            }
            boolean more = last != null && items.size() == page.limit() && ids.higherKey(last) != null;
            return new Page<>(items, more ? Optional.of(Rules.encodeCursor(last)) : Optional.empty());
        }, what);
    }
}
