package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The segments of a {@link FileAuditSink}'s trail, the open one and the sealed ones, and the lock their indexes
 * are read and changed under: what queries, counts and the background indexer ({@link OpenSegmentIndexer})
 * see. The sink changes them (new lines, a rollover) under its write lock and this object's index lock; readers
 * take the index lock's read side.
 *
 * <p>Threads: {@link #active()} and the sealed list are volatile and replaced (never changed) at rollover; the
 * open segment's index is changed under the index lock's write side.
 */
final class TrailSegments {
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    private final SealedIndexes sealedIndexes;
    private volatile Segment active;
    /** Sealed segments, newest first; replaced (never changed) at rollover. */
    private volatile List<Segment> sealed;

    /** {@code sealedNewestFirst}: the sealed segments as the open found them. */
    TrailSegments(Segment active, List<Segment> sealedNewestFirst, SealedIndexes sealedIndexes) {
        this.active = active;
        this.sealed = List.copyOf(sealedNewestFirst);
        this.sealedIndexes = sealedIndexes;
    }

    /** The lock the segments' indexes are read (queries) and changed (writes, rollover) under. */
    ReentrantReadWriteLock indexLock() {
        return indexLock;
    }

    /** The open segment. */
    Segment active() {
        return active;
    }

    /** Bounds the sealed segments whose index stays loaded. */
    SealedIndexes sealedIndexes() {
        return sealedIndexes;
    }

    /**
     * Indexes the {@code n} lines just appended at {@code base} of the open segment: line {@code i} spans
     * {@code starts[i]} to {@code starts[i + 1]} (its '\n' included) of the appended buffer.
     */
    void index(List<AuditEvent> events, int n, long base, int[] starts) {
        indexLock.writeLock().lock();
        try {
            AuditIndex index = active.index();
            for (int i = 0; i < n; i++) {
                index.add(base + starts[i], starts[i + 1] - starts[i] - 1, events.get(i)); // without '\n'
            }
        } finally {
            indexLock.writeLock().unlock();
        }
    }

    /**
     * Seals the open segment as {@code sealedFile}, keeping its in-memory index until its index file is written
     * ({@link #indexWritten}), and makes {@code fresh} the open one. Returns the sealed segment.
     */
    Segment rolledOver(Segment fresh, Path sealedFile) {
        indexLock.writeLock().lock();
        try {
            Segment old = active;
            old.sealedInMemory(sealedFile);
            List<Segment> s = new ArrayList<>(sealed.size() + 1);
            s.add(old);
            s.addAll(sealed);
            sealed = List.copyOf(s);
            active = fresh;
            return old;
        } finally {
            indexLock.writeLock().unlock();
        }
    }

    /**
     * The index file of {@code old}, sealed by a rollover, is written ({@link SealedIndexWrites}): its mapped index
     * ({@code mapped}, loaded again through {@code reload}) replaces the in-memory one, whose chunks serve the open
     * segment's index (dropped, they waited minutes for an old-generation GC).
     */
    void indexWritten(Segment old, AuditIndex mapped, Segment.IndexLoader reload) {
        indexLock.writeLock().lock();
        try {
            AuditIndex grown = old.index();
            old.indexWritten(mapped, reload, sealedIndexes);
            // queries read an in-memory sealed index under this lock: none reaches the grown one any more
            active.index().recycle(grown);
        } finally {
            indexLock.writeLock().unlock();
        }
    }

    /** Every segment, the open one first, then the sealed ones newest first. */
    List<Segment> all() {
        indexLock.readLock().lock();
        try {
            List<Segment> segments = new ArrayList<>(sealed.size() + 1);
            segments.add(active);
            segments.addAll(sealed);
            return segments;
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** The number of indexed events in every segment. */
    long size() {
        indexLock.readLock().lock();
        try {
            long n = active.index().size();
            for (Segment s : sealed) {
                n += s.size(); // a sealed segment's from its header: no index loaded to count
            }
            return n;
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** The sealed segments the background thread loads after an open: the newest, as many as stay loaded. */
    List<Segment> newestSealed() {
        List<Segment> s = sealed;
        return s.subList(0, Math.min(s.size(), sealedIndexes.capacity()));
    }

    /** Releases every segment's channel and index (on close). */
    void close() {
        indexLock.writeLock().lock();
        try {
            FileAuditSink.closeQuietly(active);
            sealed.forEach(FileAuditSink::closeQuietly);
        } finally {
            indexLock.writeLock().unlock();
        }
    }
}
