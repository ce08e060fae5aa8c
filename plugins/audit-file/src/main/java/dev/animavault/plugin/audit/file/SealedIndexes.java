package dev.animavault.plugin.audit.file;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds how many sealed segments keep their index loaded. A sealed segment's index is a read-only mapping
 * of its {@code .idx} file (page cache, not heap), but its five dictionaries (every distinct organization,
 * identity, action, secret key and actor of the segment, ~100 bytes each) are decoded onto the heap when it is
 * loaded, and before this class a loaded index stayed for the sink's lifetime: every segment a query ever
 * scanned (one for a rare value scans them all) added its dictionaries for good. Now at most {@link #capacity()}
 * sealed indexes stay loaded; loading one more drops the least recently used other one, which is loaded again
 * (mapped, its header checked, its dictionaries decoded) by the next query that reaches it.
 *
 * <p>The open segment's index is not counted (it is never dropped). A query that holds an index while it is
 * dropped goes on using it (the mapping lives until the index is unreachable). Thread-safe: the bookkeeping is
 * under this object's monitor, and a segment is dropped after the monitor is released (no lock order with the
 * segments' own monitors).
 */
final class SealedIndexes {
    /** The default {@link #capacity()}: the newest sealed segments a query for recent events reaches. */
    static final int DEFAULT_CAPACITY = 8;

    private final int capacity;
    private final AtomicLong clock = new AtomicLong();
    /** Sealed segments whose index was loaded and not dropped since (some may have been dropped meanwhile). */
    private final Set<Segment> loaded = new LinkedHashSet<>();

    SealedIndexes(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** A new tick of the use clock (a segment records the tick of its last use). */
    long tick() {
        return clock.incrementAndGet();
    }

    /** Called after {@code segment}'s index was loaded: drops the least recently used ones beyond the bound. */
    void loaded(Segment segment) {
        List<Segment> drop = new ArrayList<>();
        synchronized (this) {
            loaded.removeIf(s -> !s.indexLoaded());
            loaded.add(segment);
            while (loaded.size() > capacity) {
                Segment oldest = null;
                for (Segment s : loaded) {
                    if (s != segment && (oldest == null || s.lastUse() < oldest.lastUse())) {
                        oldest = s;
                    }
                }
                loaded.remove(oldest);
                drop.add(oldest);
            }
        }
        for (Segment s : drop) {
            s.dropIndex();
        }
    }

    /** How many sealed indexes are loaded now. */
    synchronized int loadedCount() {
        loaded.removeIf(s -> !s.indexLoaded());
        return loaded.size();
    }
}
