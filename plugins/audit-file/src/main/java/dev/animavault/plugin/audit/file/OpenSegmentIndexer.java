package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The background part of opening a {@link FileAuditSink}: indexing what {@link TrailLoader} only hashed.
 *
 * <p><b>What it does.</b> When the open segment has lines from before the open that are not in its index
 * (all of them after a crash, or those written after the last clean close), {@link TrailLoader#index} parses
 * them into a <i>pending</i> index on a virtual thread named {@code audit-file-index}, while the sink
 * already takes writes: the lines written meanwhile go to the open segment's own (live) index. Once the
 * parse has ended, the lines of the live index are added to the pending one ({@link AuditIndex#addFrom}),
 * which becomes the open segment's index ({@link #join}). After a clean close the same thread first reads the
 * open segment's index file, whose header the open checked (the lines before {@code from}), as the pending
 * index: the open does not read it (issue 19), and a file that no longer reads as that index is parsed
 * instead. Then, and also when nothing had to be parsed, the thread maps the sealed segments' indexes newest
 * first (as many as stay loaded, {@link SealedIndexes}), so that the first queries find them loaded; not before
 * {@link #PRELOAD_DELAY} after the open, so that this work (~30 ms of CPU for eight 64 MiB segments, and the
 * JVM's first mapping) does not compete with the rest of the vault's start for the CPUs (issue 19; a query
 * that comes earlier loads the index it needs itself). A trail with nothing to parse and no sealed segment (an
 * empty one) starts no thread.
 *
 * <p><b>Waiting.</b> Queries call {@link #await} and wait up to {@link #INDEX_WAIT} for the open segment's
 * index to be complete, then are refused with {@code AUDIT_UNAVAILABLE} (retry shortly); a failed parse
 * refuses them until restart. A rollover calls {@link #join} first and waits for the parse, since the sealed
 * index must cover every line.
 *
 * <p><b>Close.</b> The sink's close calls {@link #cancel()}, which stops the parse at the next
 * line and releases a held test gate; the index stays pending ({@link #pending()}), so the close writes no
 * index file and the next open parses again; {@link #join} then reports false (a rollover racing the close
 * fails closed), and waiting queries are refused. The close waits a bounded time for the thread to end
 * ({@link #awaitEnd}); the mapping of sealed indexes stops once the sink is closed.
 *
 * <p><b>Threads.</b> The background thread takes the sink's write lock only to join, and the index write
 * lock (inside it) only to swap the index. {@link #join} and {@link #pending()} must be called holding the
 * sink's write lock (the pending index is guarded by it); {@link #await}, {@link #complete()},
 * {@link #cancel()} and {@link #awaitEnd} may be called from any thread. The sink's open segment and
 * sealed list are read through suppliers, since a rollover replaces them.
 */
final class OpenSegmentIndexer {
    /** The sink's logger: these messages are about the sink and were logged under its name before. */
    private static final System.Logger LOG = System.getLogger(FileAuditSink.class.getName());
    /** How long a query waits for the open segment's index after an unclean shutdown before it is refused. */
    static final Duration INDEX_WAIT = Duration.ofSeconds(30);
    /**
     * How long after the open the sealed segments' indexes are loaded in the background: past the rest of a start
     * (~1 s on an idle 2-core machine), which the loading would otherwise slow down (docs/performance.md, thirteenth
     * pass). A close ends the wait at once.
     */
    static final Duration PRELOAD_DELAY = Duration.ofSeconds(2);

    private final Path path;
    private final TrailLoader loader;
    private final SinkState state;
    private final ReentrantLock writeLock;
    private final ReentrantReadWriteLock indexLock;
    private final Supplier<Segment> active;
    private final Supplier<List<Segment>> sealed;
    /** Tests only: the background parse waits for it (null: it does not wait). */
    private final CountDownLatch gate;
    /** When the sealed indexes may be loaded ({@link System#nanoTime()}): {@link #PRELOAD_DELAY} after the open. */
    private final long preloadAt;
    /** Counted down by {@link #cancel()} (the sink's close): ends the wait for {@link #preloadAt}. */
    private final CountDownLatch closing = new CountDownLatch(1);
    /**
     * The index the lines from before the open are parsed into, grown by the background thread and then
     * joined by the live index's lines. Null when there was nothing to parse, or once joined. Guarded by
     * the sink's write lock.
     */
    private AuditIndex pending;
    /**
     * The header of the open segment's index file, to be read by the background thread as the index of the lines
     * before {@code from} (null: {@link #pending} is that index already, or there is nothing to wait for).
     */
    private final AuditIndexFile.Header indexFile;
    /** Whether the open segment's index still lacks lines from before the open. Guarded by the sink's write lock. */
    private boolean waiting;
    /** Completes with the parsed index when the background read and parse have ended (normally or not). */
    private final CompletableFuture<AuditIndex> parsed = new CompletableFuture<>();
    /** Completes when the open segment's index is complete (at once when there was nothing to parse). */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Thread thread;

    private OpenSegmentIndexer(Path path, TrailLoader loader, SinkState state, ReentrantLock writeLock,
                               ReentrantReadWriteLock indexLock, Supplier<Segment> active,
                               Supplier<List<Segment>> sealed, AuditIndex pending,
                               AuditIndexFile.Header indexFile, long from, long to, CountDownLatch gate,
                               Duration preloadDelay) {
        this.path = path;
        this.loader = loader;
        this.state = state;
        this.writeLock = writeLock;
        this.indexLock = indexLock;
        this.active = active;
        this.sealed = sealed;
        this.pending = pending;
        this.indexFile = indexFile;
        this.waiting = pending != null || indexFile != null;
        this.gate = gate;
        this.preloadAt = System.nanoTime() + preloadDelay.toNanos();
        if (!waiting) {
            parsed.complete(null);
            ready.complete(null);
        }
        // nothing to do in the background for a trail without sealed segments opened cleanly (an empty one)
        this.thread = waiting || !sealed.get().isEmpty()
                ? Thread.ofVirtual().name("audit-file-index").unstarted(() -> run(from, to)) : null;
    }

    /**
     * Starts the background work (the last step of the sink's open).
     *
     * @param indexFile the header of the open segment's index file, checked by the open, whose index (read in the
     *                  background, or, when it no longer reads as that index, parsed from the segment) covers the
     *                  lines before {@code from}; or null
     * @param pending the index the lines in {@code [from, to)} of the open segment go into, or null when
     *                the open segment's index is complete already
     * @param active  the sink's open segment (whose index takes the lines written meanwhile)
     * @param sealed  the sink's sealed segments, newest first
     * @param gate    tests only: the parse starts once it is counted down (or the sink closed); or null
     * @param preloadDelay how long after now the sealed indexes are loaded ({@link #PRELOAD_DELAY} but in tests)
     */
    static OpenSegmentIndexer start(Path path, TrailLoader loader, SinkState state, ReentrantLock writeLock,
                                    ReentrantReadWriteLock indexLock, Supplier<Segment> active,
                                    Supplier<List<Segment>> sealed, AuditIndex pending,
                                    AuditIndexFile.Header indexFile, long from, long to, CountDownLatch gate,
                                    Duration preloadDelay) {
        OpenSegmentIndexer indexer = new OpenSegmentIndexer(path, loader, state, writeLock, indexLock, active,
                sealed, pending, indexFile, from, to, gate, preloadDelay);
        if (indexer.thread != null) {
            indexer.thread.start();
        }
        return indexer;
    }

    /**
     * The background thread: parses the open segment's lines that the open only hashed (then joins the
     * lines written meanwhile), then, from {@link #preloadAt} on, maps the sealed segments' indexes newest first
     * so that the first queries find them loaded. Queries that come earlier load a sealed index themselves and
     * wait (up to {@link #INDEX_WAIT}) for the open segment's.
     */
    private void run(long from, long to) {
        if (parsed.isDone()) {
            try {
                awaitGate();
            } catch (InterruptedException e) {
                return;
            }
        } else {
            long started = System.nanoTime();
            long parseFrom = from;
            try {
                awaitGate();
                AuditIndex target = pending;
                if (indexFile != null) {
                    target = loader.readIndexFile(indexFile);
                    if (target == null) { // replaced or damaged since the open checked its header: parse instead
                        target = new AuditIndex();
                        parseFrom = 0;
                    }
                }
                if (parseFrom < to) {
                    loader.index(path, parseFrom, to, target);
                }
                parsed.complete(target);
            } catch (IOException | RuntimeException e) {
                parsed.completeExceptionally(e);
            } catch (InterruptedException e) {
                parsed.completeExceptionally(e);
                Thread.currentThread().interrupt();
            }
            writeLock.lock();
            try {
                join();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "audit file {0}: indexing the open segment failed: {1}",
                        path, e.toString());
            } finally {
                writeLock.unlock();
            }
            if (parseFrom < to) {
                LOG.log(System.Logger.Level.INFO, "audit file {0}: open segment indexed in the background ({1} bytes,"
                        + " {2} ms)", path, to - parseFrom, (System.nanoTime() - started) / 1_000_000);
            }
        }
        try {
            long wait = preloadAt - System.nanoTime();
            if (wait > 0 && closing.await(wait, TimeUnit.NANOSECONDS)) {
                return; // closed meanwhile
            }
        } catch (InterruptedException e) {
            return;
        }
        for (Segment s : sealed.get()) {
            if (state.closed) {
                return;
            }
            try {
                s.index();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "audit file {0}: {1}", path, e.getMessage());
            }
        }
    }

    private void awaitGate() throws InterruptedException {
        while (gate != null && !gate.await(20, TimeUnit.MILLISECONDS) && !loader.cancelled) {
            // held by a test
        }
    }

    /**
     * Under the sink's write lock: once the background parse has ended, joins the lines written since the
     * open to the parsed index and makes it the open segment's (nothing when joined already). Waits for the
     * parse; a failed parse fails every later query and rollover.
     *
     * @return false when the parse was stopped by a close (the index is incomplete and stays pending)
     */
    boolean join() {
        if (!waiting) {
            return true;
        }
        try {
            AuditIndex parsedIndex = parsed.join();
            if (state.closed || loader.cancelled) {
                ready.completeExceptionally(new IllegalStateException("closed"));
                return false;
            }
            indexLock.writeLock().lock();
            try {
                Segment segment = active.get();
                AuditIndex live = segment.index();
                for (int i = 0; i < live.size(); i++) {
                    parsedIndex.addFrom(live, i);
                }
                segment.replaceIndex(parsedIndex);
                pending = null;
                waiting = false;
            } finally {
                indexLock.writeLock().unlock();
            }
            ready.complete(null);
            return true;
        } catch (RuntimeException e) {
            ready.completeExceptionally(e);
            throw e;
        }
    }

    /** Under the sink's write lock: whether the open segment's index still lacks lines from before the open. */
    boolean pending() {
        return waiting;
    }

    /**
     * Waits (bounded by {@link #INDEX_WAIT}) until the open segment's index holds every line.
     *
     * @throws VaultException {@code AUDIT_UNAVAILABLE} when it still does not, or its parse failed or was
     *                        stopped by a close
     */
    void await() {
        if (complete()) {
            return;
        }
        try {
            ready.get(INDEX_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + path + " is still being"
                    + " indexed (after the start or an unclean shutdown); retry shortly");
        } catch (ExecutionException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + path + ": its open segment"
                    + " could not be indexed (" + e.getCause().getClass().getSimpleName() + "); restart to retry", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "interrupted waiting for the audit index", e);
        }
    }

    /** Whether the open segment's index holds every line (false while it is parsed in the background). */
    boolean complete() {
        return ready.isDone() && !ready.isCompletedExceptionally();
    }

    /**
     * The sink's close, before it takes the write lock: stops the parse at the next line (and releases a
     * held test gate), so that a rollover waiting in {@link #join} does not wait for the whole parse, and ends
     * the wait before the sealed indexes' loading, so that the close does not wait for {@link #PRELOAD_DELAY}.
     */
    void cancel() {
        loader.cancelled = true;
        closing.countDown();
    }

    /** Tests only: the background thread, or null when none was started. */
    Thread thread() {
        return thread;
    }

    /**
     * Waits up to {@code timeout} for the background thread to end (at once when none was started); an
     * interrupt ends the wait and is kept (the thread's interrupt status set again).
     */
    void awaitEnd(Duration timeout) {
        if (thread == null) {
            return;
        }
        try {
            thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
