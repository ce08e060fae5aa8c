package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Checkpoints a SQLite database's WAL from a connection and a platform thread of its own, off the single
 * writer's turn (issue 19, docs/performance.md ninth pass).
 *
 * <p>Without it, the writing connection's auto-checkpoint ran inside a commit every
 * {@link JdbcStorageBackendFactory#WRITER_CHECKPOINT_PAGES} WAL pages: it copied every page changed since the last
 * checkpoint from the WAL into the database and {@code fsync}ed the database, blocking the whole group-commit chain
 * for 3-28 ms. Here the group commit {@linkplain #committed signals} after every {@value #OPERATIONS_PER_PASS}
 * committed operations, and this thread runs {@code PRAGMA wal_checkpoint(PASSIVE)}: it copies the committed
 * frames that no reader still needs, syncing the WAL before and the database after (as any checkpoint, with the
 * database's {@code synchronous} setting), and never waits for or blocks a writer or a reader. The writer's own
 * auto-checkpoint stays, at its larger interval: when it fires, most frames are already copied, so it has little
 * left to do in the writer's turn, and it is what lets the next write transaction start the WAL from its beginning
 * (SQLite reuses the file only when every frame was copied before a write transaction begins). If this thread
 * falls behind, fails or is not running, the writer's auto-checkpoint still bounds the WAL as before.
 *
 * <p>The thread is started at the first signal (none at startup), ends after {@value #IDLE_SECONDS} s without one
 * (closing its connection), and is stopped by {@link #close()} before the pools close, so that the last connection
 * to close still checkpoints and removes the WAL. A failed checkpoint is logged (SQLite's message, which names no
 * value) and the connection opened anew at the next signal; it never fails a write. Thread-safe.
 */
final class SqliteCheckpointer implements AutoCloseable {

    /** Committed write operations between two signals to the checkpointer (~600-1,000 WAL frames). */
    static final int OPERATIONS_PER_PASS = 256;

    /** Seconds the thread stays alive without a signal. */
    static final int IDLE_SECONDS = 30;

    private static final Logger LOG = Logger.getLogger(SqliteCheckpointer.class.getName());
    private static final long RETRY_PAUSE_MILLIS = 1000;

    /** Opens the checkpointer's connection (on its thread). */
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final String redactedUrl;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    // guarded by the lock
    private Thread thread;
    private boolean pending;
    private boolean closed;
    private long passes;
    private long failures;
    private long lastLogFrames;
    private long lastCheckpointedFrames;

    SqliteCheckpointer(Opener opener, String redactedUrl) {
        this.opener = requireNonNull(opener, "opener is null");
        this.redactedUrl = requireNonNull(redactedUrl, "redactedUrl is null");
    }

    /**
     * Called by the group commit after a batch committed, with the operations committed so far before and after
     * it: signals a checkpoint each time the count passes a multiple of {@value #OPERATIONS_PER_PASS}. Never throws.
     */
    void committed(long before, long after) {
        if (before / OPERATIONS_PER_PASS != after / OPERATIONS_PER_PASS) {
            signal();
        }
    }

    /** Asks for a checkpoint pass (starting the thread if none runs). Never throws. */
    void signal() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            pending = true;
            if (thread == null) {
                Thread t = Thread.ofPlatform().name("sqlite-checkpoint").daemon(true).unstarted(this::loop);
                t.setPriority(Thread.MIN_PRIORITY);
                t.setContextClassLoader(SqliteCheckpointer.class.getClassLoader());
                t.start();
                thread = t;
            } else {
                wake.signal();
            }
        } catch (RuntimeException | Error e) {
            // no thread could be started: the writer's auto-checkpoint still runs; a later signal tries again
            LOG.log(Level.FINE, "cannot start the checkpoint thread for " + redactedUrl, e);
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        Connection c = null;
        try {
            while (true) {
                if (!awaitSignal()) {
                    return;
                }
                try {
                    if (c == null) {
                        c = opener.open();
                    }
                    checkpoint(c);
                } catch (SQLException | RuntimeException e) {
                    lock.lock();
                    try {
                        failures++;
                    } finally {
                        lock.unlock();
                    }
                    LOG.warning("background WAL checkpoint of " + redactedUrl + " failed (the writer's own "
                            + "checkpoint still runs): " + e.getClass().getSimpleName() + ": "
                            + firstLine(e.getMessage()));
                    closeQuietly(c);
                    c = null;
                    if (!pause()) {
                        return;
                    }
                }
            }
        } finally {
            closeQuietly(c);
            lock.lock();
            try {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits for a signal; false when closed or idle for {@value #IDLE_SECONDS} s (the thread then ends). */
    private boolean awaitSignal() {
        lock.lock();
        try {
            long left = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
            while (!pending && !closed) {
                if (left <= 0) {
                    thread = null; // a later signal starts a new one
                    return false;
                }
                try {
                    left = wake.awaitNanos(left);
                } catch (InterruptedException e) {
                    // only close() wakes it early; it sets closed first
                }
            }
            pending = false;
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    /** After a failure: waits a moment before the next attempt; false when closed meanwhile. */
    private boolean pause() {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MILLIS);
            while (!closed && left > 0) {
                try {
                    left = wake.awaitNanos(left);
                } catch (InterruptedException e) {
                    // see awaitSignal
                }
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    private void checkpoint(Connection c) throws SQLException {
        long log;
        long checkpointed;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            if (!rs.next()) {
                throw new SQLException("PRAGMA wal_checkpoint returned no row");
            }
            // (busy, WAL frames, frames copied into the database); PASSIVE never reports busy
            log = rs.getLong(2);
            checkpointed = rs.getLong(3);
        }
        lock.lock();
        try {
            passes++;
            lastLogFrames = log;
            lastCheckpointedFrames = checkpointed;
        } finally {
            lock.unlock();
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException e) {
                LOG.log(Level.FINE, "closing the checkpoint connection of " + redactedUrl, e);
            }
        }
    }

    /**
     * Stops the thread (waiting for a running checkpoint to end) and closes its connection; later signals do
     * nothing. Idempotent.
     */
    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            closed = true;
            t = thread;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join(); // a PASSIVE checkpoint copies at most the WAL's frames: it ends
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Test hook: {passes, failures, WAL frames and frames copied as of the last pass}. */
    long[] statistics() {
        lock.lock();
        try {
            return new long[] {passes, failures, lastLogFrames, lastCheckpointedFrames};
        } finally {
            lock.unlock();
        }
    }

    /** Test hook: whether the thread runs. */
    boolean running() {
        lock.lock();
        try {
            return thread != null;
        } finally {
            lock.unlock();
        }
    }
}
