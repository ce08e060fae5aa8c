package dev.animavault.plugin.audit.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes a sealed segment's index file ({@code <sealed>.idx}) after the rollover that sealed it has released the
 * sink's write lock, on a short-lived daemon thread: encoding the index's dictionaries, writing its chunks and
 * syncing it took ~30 ms of a 42 ms rollover (and 136-277 ms rollovers in the running vault) during which every
 * audited request waited (docs/performance.md, fourteenth pass). Until the file is written, renamed and read back,
 * the sealed segment answers queries from the index it grew in memory ({@link Segment#sealedInMemory}); then the
 * mapped file replaces it and its chunks go to the open segment's index ({@link TrailSegments#indexWritten}).
 *
 * <p>Crash safety: the file is written as before (temporary name, force, rename; then the directory synced), so
 * no reader sees a half-written index. A crash between the seal and the rename leaves a sealed segment without an
 * index file (or with a stale {@code .idx.tmp}), which the next open rebuilds from the segment
 * ({@link TrailLoader#sealed}). A failure is logged and leaves the in-memory index in place (kept, never dropped):
 * no event is lost and the sink goes on; the next open rebuilds the file.
 *
 * <p>Threads: {@link #prepare} and {@link #finish} are called under the sink's write lock (a rollover finishes the
 * previous write first, rarely still running), {@link #finish} also by close. At most one write is pending; it runs
 * once, on the background thread or on the thread that finishes it first.
 */
final class SealedIndexWrites {
    private static final System.Logger LOG = System.getLogger(SealedIndexWrites.class.getName());

    private final TrailSegments segments;
    private final TrailLoader trail;
    private volatile Write pending;
    /** Tests only: the background thread waits for it before writing (a finish does not). */
    private volatile CountDownLatch gate;

    SealedIndexWrites(TrailSegments segments, TrailLoader trail) {
        this.segments = segments;
        this.trail = trail;
    }

    /** Tests only: holds the background writes until {@code g} is counted down; null releases. */
    void hold(CountDownLatch g) {
        gate = g;
    }

    /**
     * Records the index of {@code segment}, sealed as {@code sealedFile} at {@code end} with last line {@code head},
     * to write from {@code index} (the in-memory one, no longer changed); {@link #startPrepared} starts the thread,
     * once the write lock is released (starting a thread under it cost ~1 ms, 73 ms the first time, measured).
     */
    void prepare(Segment segment, Path sealedFile, long end, byte[] head, AuditIndex index) {
        pending = new Write(segment, sealedFile, end, head.clone(), index);
    }

    /** Starts the background write {@link #prepare}d, if not started yet (any thread, after the write lock). */
    void startPrepared() {
        Write w = pending;
        if (w != null && !w.started.get() && w.started.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("audit-file-sealed-index").start(w);
        }
    }

    /** Finishes the pending write, if any: runs it on this thread when it has not started, else waits for it. */
    void finish() {
        Write w = pending;
        if (w != null) {
            w.finish();
        }
    }

    /** Whether a sealed index is still to be written (tests). */
    boolean pending() {
        Write w = pending;
        return w != null && w.done.getCount() > 0;
    }

    private final class Write implements Runnable {
        private final Segment segment;
        private final Path sealedFile;
        private final long end;
        private final byte[] head;
        private final AuditIndex index;
        private final AtomicBoolean started = new AtomicBoolean();
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch done = new CountDownLatch(1);

        Write(Segment segment, Path sealedFile, long end, byte[] head, AuditIndex index) {
            this.segment = segment;
            this.sealedFile = sealedFile;
            this.end = end;
            this.head = head;
            this.index = index;
        }

        @Override
        public void run() {
            CountDownLatch g = gate;
            try {
                while (g != null && !claimed.get() && !g.await(20, TimeUnit.MILLISECONDS)) {
                    g = gate; // held by a test until released or finished by another thread
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (claimed.compareAndSet(false, true)) {
                write();
            }
        }

        void finish() {
            if (claimed.compareAndSet(false, true)) {
                write();
                return;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void write() {
            Path idx = SegmentLayout.index(sealedFile);
            try {
                long started = System.nanoTime();
                AuditIndexFile.write(idx, segment.number(), end, head, index);
                SegmentWriter.syncDirectory(idx.getParent());
                AuditIndexFile.Loaded readBack = AuditIndexFile.read(idx, false)
                        .filter(l -> l.header().segment() == segment.number() && l.header().end() == end
                                && l.header().lines() == index.size() && Arrays.equals(l.header().head(), head))
                        .orElseThrow(() -> new IOException("cannot read back " + idx.getFileName()));
                segments.indexWritten(segment, readBack.index(),
                        trail.sealedLoader(segment.number(), sealedFile, readBack.header()));
                LOG.log(System.Logger.Level.DEBUG, "audit segment {0}: index written after the seal ({1} ms)",
                        sealedFile.getFileName(), (System.nanoTime() - started) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                // no event is lost: the segment is sealed and synced; queries keep the in-memory index, the next open
                // rebuilds the file. The message names files, never event values.
                LOG.log(System.Logger.Level.WARNING, "audit segment {0}: writing its index failed (queries use the "
                        + "index in memory; the next start rebuilds the file from the segment): {1}",
                        sealedFile.getFileName(), e.toString());
            } finally {
                done.countDown();
            }
        }
    }
}
