package dev.animavault.plugin.audit.file;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The file sink's background thread ({@code audit-file-flusher}): keeps disk blocks reserved ahead of the
 * open segment's end, forces appended lines to the device every {@code flushInterval} when {@code fsync} is
 * off and the file grew, and once a second checks that the configured path still names the open file (a
 * file deleted, moved or replaced makes the sink refuse every later write, fail closed, until a restart)
 * and measures free space. None of it under the write lock, except the re-check before a refusal (a
 * rollover renames the file). It is never interrupted (that would close channels); {@link #stop} unparks it.
 */
final class SegmentWatch {
    private static final System.Logger LOG = System.getLogger(SegmentWatch.class.getName());
    /** How often the path and the free space are checked. */
    static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FileAuditSinkConfig config;
    private final SinkState state;
    private final Supplier<SegmentWriter> writer;
    private final ReentrantLock writeLock;
    private final boolean backgroundFlush;
    private final AtomicLong flushes = new AtomicLong();
    /** Set by {@link #flushSoon}: the next tick flushes even before {@code flushInterval}. */
    private volatile boolean flushRequested;
    private final Thread background;
    private volatile boolean stopBackground;
    /** When the thread last forced the file (its own field). */
    private long lastFlushAt = System.nanoTime();

    SegmentWatch(FileAuditSinkConfig config, SinkState state, Supplier<SegmentWriter> writer, ReentrantLock writeLock) {
        this.config = config;
        this.state = state;
        this.writer = writer;
        this.writeLock = writeLock;
        this.backgroundFlush = !config.fsync() && !config.flushInterval().isZero();
        this.background = Thread.ofPlatform().daemon().name("audit-file-flusher").start(this::loop);
    }

    long flushes() {
        return flushes.get();
    }

    private void measure() {
        try {
            state.measure();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "audit file {0}: cannot measure free space: {1}", config.path(), e.toString());
        }
    }

    /**
     * Asks for a background flush now (the open segment is close to its rollover: the rollover's own fsync, under
     * the sink's write lock, then finds less to write). Any thread; does nothing without background flushes.
     */
    void flushSoon() {
        flushRequested = true;
        LockSupport.unpark(background);
    }

    /** Stops the thread and waits for a pass in progress (it ends with its fdatasync). */
    void stop() {
        stopBackground = true;
        LockSupport.unpark(background);
        try {
            background.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every tick: top up the reservation, the checks once a second, and a flush when due and the file grew. */
    private void loop() {
        long interval = backgroundFlush ? Math.min(config.flushInterval().toNanos(), CHECK_INTERVAL_NANOS)
                : CHECK_INTERVAL_NANOS;
        long flushedTo = state.appended;
        SegmentWriter flushedWriter = writer.get();
        long checkedAt = System.nanoTime();
        boolean warned = false;
        while (!stopBackground && !state.closed) {
            LockSupport.parkNanos(this, interval);
            if (stopBackground || state.closed) {
                continue;
            }
            if (System.nanoTime() - checkedAt >= CHECK_INTERVAL_NANOS) {
                checkNow();
                checkedAt = System.nanoTime();
            }
            SegmentWriter w = writer.get();
            long target = state.appended;
            w.reserveAhead(target);
            boolean due = interval >= config.flushInterval().toNanos()
                    || System.nanoTime() - lastFlushAt >= config.flushInterval().toNanos() || flushRequested;
            flushRequested = false;
            if (!backgroundFlush || (target == flushedTo && w == flushedWriter) || !due) {
                continue;
            }
            lastFlushAt = System.nanoTime();
            try {
                w.force();
                flushedTo = target;
                flushedWriter = w;
                flushes.incrementAndGet();
                warned = false;
            } catch (ClosedChannelException e) {
                // rolled over meanwhile (the sealed file was forced) or closing
            } catch (IOException e) {
                if (!warned) {
                    LOG.log(System.Logger.Level.WARNING, "audit file {0}: background flush failed: {1}",
                            config.path(), e.toString());
                    warned = true;
                }
            }
        }
    }

    /**
     * Checks that the configured path still names the open file (refusing writes for good when not) and
     * measures the free space. Runs on the background thread once a second; tests call it directly.
     */
    void checkNow() {
        if (state.closed || state.refusal != null) {
            return;
        }
        Path path = config.path();
        String change = null;
        SegmentWriter w = writer.get();
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (!Objects.equals(current, w.fileKey()) && w == writer.get()) {
                change = "replaced";
            }
        } catch (NoSuchFileException e) {
            if (w == writer.get()) {
                change = "deleted";
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "audit file {0}: cannot read its attributes: {1}", path, e.toString());
        }
        if (change != null) {
            writeLock.lock(); // a rollover renames the file: look again under the lock before refusing
            try {
                if (state.closed || w != writer.get()) {
                    return;
                }
            } finally {
                writeLock.unlock();
            }
            state.refusal = "the audit file was " + change + " while the vault had it open; restart the vault to open "
                    + "the file at the configured path";
            LOG.log(System.Logger.Level.ERROR, "audit file {0} was {1} while open: the sink refuses every write "
                    + "from now on (fail closed); restart the vault to open the file at that path. Events up to "
                    + "now are in the old file.", path, change);
            return;
        }
        measure();
    }
}
