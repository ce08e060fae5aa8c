package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The pipelined commit's second stage: the durability of {@code synchronous=FULL} with the WAL's {@code fsync}
 * off the single writer's serial turn (docs/decisions.md, "the pipelined commit").
 *
 * <p><b>What it replaces.</b> With {@code synchronous=FULL} every SQLite {@code COMMIT} fsyncs the WAL inside the
 * writer's turn, and with 32 writing clients every request ends up waiting at the writer while it sleeps in that
 * sync (docs/performance.md, fifteenth pass). In pipelined mode the writing connection runs {@code NORMAL} (in WAL
 * mode: no sync per commit; the WAL is still synced before every checkpoint and the database after it) and this
 * class provides the per-commit sync: after a batch's {@code COMMIT} returned, the WAL file ({@code <db>-wal}) is
 * fsynced before any operation of that batch is acknowledged, success or failure alike (a failed conditional
 * write's answer also depends on committed, maybe unsynced state).
 *
 * <p><b>The pipeline.</b> The batch's leader hands the batch over ({@link #afterTransaction}) and takes the next
 * batch at once; the syncer (a platform thread, started on demand, ended after {@value #SYNCER_IDLE_SECONDS} s
 * idle) syncs once for every batch handed over so far (a group commit of syncs), then completes those batches in
 * order ({@link GroupCommitOp#completeAll}). Every batch is handed over, also a lone writer's (syncing inline when
 * nothing else was in flight, the adaptive variant, was slower at 32 clients: docs/performance.md, sixteenth pass);
 * the leader syncs itself only when no syncer thread could be started.
 *
 * <p><b>Readers never see an unsynced batch.</b> The leader publishes {@code committingSeq = n} as the last step
 * of batch n's transaction, before its {@code COMMIT} ({@link #beforeCommit}); a sync publishes {@code syncedSeq}
 * (the latest batch whose commit had returned before the sync began) once the {@code fsync} returned. Every read on a
 * SQLite reading connection calls {@link #awaitSynced} after its statements finished and before its result is
 * returned or cached: if it saw batch n's rows, n's commit happened before the read's end, so {@code committingSeq
 * >= n} when checked, and the read waits until {@code syncedSeq >= committingSeq}. No read waits while no write is
 * in flight (two volatile reads).
 *
 * <p><b>The file.</b> The WAL is opened for each sync (one {@code openat} and {@code close} more per batch), so a
 * WAL deleted and recreated (SQLite deletes it when the last connection closes, after checkpointing it) is never
 * synced through a stale descriptor; a missing WAL means everything was checkpointed into the database, which is
 * then synced instead. A failed sync (an {@code IOException}) fails every operation of the batches it covered as
 * a failed commit does ("may have committed"), is logged without values, and does not advance {@code syncedSeq}:
 * the next batch's sync covers them again, and readers of their rows wait for it (at most {@code waitTimeout},
 * then {@code STORAGE_UNAVAILABLE}). Thread-safe.
 */
final class WalSyncer {

    private static final Logger LOG = Logger.getLogger(WalSyncer.class.getName());

    /** Seconds the syncer thread stays alive without work (it is started again on demand). */
    static final int SYNCER_IDLE_SECONDS = 30;

    /** The sync itself (test hook: {@link #syncAction(SyncAction)}). */
    @FunctionalInterface
    interface SyncAction {
        void sync() throws IOException;
    }

    /** A batch whose transaction ended, and the latest batch whose commit had returned by then. */
    private record Handed(GroupCommitOp[] batch, long upTo) {
    }

    private final Path database;
    private final Path wal;
    private final long waitTimeoutNanos;
    private final String description;
    private volatile SyncAction action = this::syncFiles;
    /** The latest batch whose COMMIT began; written by the batch leaders only (serialized by the group commit). */
    private volatile long committingSeq;
    /** The latest batch known durable. */
    private volatile long syncedSeq;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition synced = lock.newCondition();
    // guarded by the lock
    private final ArrayDeque<Handed> pending = new ArrayDeque<>();
    private boolean syncing;
    private Thread syncer;
    private boolean syncerWaiting;
    /** Readers waiting in {@link #awaitSynced}; written under the lock, read by the syncs without it. */
    private volatile int readersWaiting;
    // statistics, guarded by the lock
    private long fsyncs;
    private long inlineSyncs;
    private long readerWaits;
    private volatile Path lastSynced;

    /**
     * @param database    the SQLite database file (its WAL is {@code <database>-wal})
     * @param waitTimeout how long a read waits for the sync of a batch it saw, in milliseconds
     * @param description the database for messages (URL, password masked)
     */
    WalSyncer(Path database, long waitTimeout, String description) {
        this.database = requireNonNull(database, "database is null");
        this.wal = database.resolveSibling(database.getFileName() + "-wal");
        this.waitTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(waitTimeout);
        this.description = requireNonNull(description, "description is null");
    }

    /**
     * Whether the pipelined commit applies: SQLite with {@code sqlite-synchronous: FULL} and the read cache on (so
     * this process holds the database's lock file and is its only writer, and its readers are the only ones the
     * rule must cover). The writing connection then runs {@code NORMAL}.
     */
    static boolean pipelined(JdbcSettings settings) {
        return settings.dialect() == Dialect.SQLITE && settings.readCache()
                && "FULL".equalsIgnoreCase(settings.sqliteSynchronous());
    }

    /** By the batch's leader, inside its transaction, as the last step before its COMMIT. */
    void beforeCommit() {
        committingSeq = committingSeq + 1; // one writer at a time: the group commit's leaders are serialized
    }

    /** By the batch's leader right after its transaction ended, while it still leads: the latest batch committed. */
    long committed() {
        return committingSeq; // every COMMIT begun so far has returned: this leader ran the latest
    }

    /**
     * By the batch's leader once its transaction ended (committed, rolled back or failed; the operations' outcomes
     * set) and its lead was given up: hands the batch to the syncer, which completes it after the sync covering it.
     * {@code upTo} is {@link #committed()} as read while leading. Never throws. (Always handed over: a leader that
     * synced inline when nothing else was in flight, the adaptive variant, was measured and rejected: the writer
     * then sleeps in the sync while the next requests arrive, docs/performance.md, sixteenth pass.)
     */
    void afterTransaction(GroupCommitOp[] batch, long upTo) {
        lock.lock();
        try {
            Handed h = new Handed(batch, upTo);
            pending.add(h);
            try {
                wakeSyncer();
                return;
            } catch (RuntimeException | Error e) {
                pending.remove(h); // no syncer could be started (out of threads): sync here
                inlineSyncs++;
            }
        } finally {
            lock.unlock();
        }
        acquireSyncing();
        IOException failure = null;
        try {
            failure = syncUpTo(upTo, false);
        } finally {
            releaseSyncing();
            complete(batch, failure);
        }
    }

    /** Waits until no sync is in flight and marks one in flight (rare paths: a start's migrations, no syncer thread). */
    private void acquireSyncing() {
        lock.lock();
        try {
            while (syncing) {
                lock.unlock();
                Thread.yield();
                lock.lock();
            }
            syncing = true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the sync in flight; wakes the syncer if batches were handed over meanwhile. */
    private void releaseSyncing() {
        lock.lock();
        try {
            syncing = false;
            if (!pending.isEmpty() && syncerWaiting) {
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * By a read on a SQLite reading connection, after its statements finished and before its result is used:
     * returns once every batch whose COMMIT had begun is synced.
     *
     * @throws VaultException {@code STORAGE_UNAVAILABLE} when that takes longer than the wait timeout (the sync
     *                        failed and no later one succeeded yet) or the thread is interrupted
     */
    void awaitSynced(String operation) {
        long v = committingSeq;
        if (syncedSeq >= v) {
            return;
        }
        long left = waitTimeoutNanos;
        lock.lock();
        try {
            readerWaits++;
            readersWaiting++;
            try {
                while (syncedSeq < v) {
                    if (left <= 0) {
                        throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage at " + description + ": "
                                + operation + " waited " + TimeUnit.NANOSECONDS.toMillis(waitTimeoutNanos)
                                + " ms for the sync of the write-ahead log");
                    }
                    try {
                        left = synced.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, operation + " was interrupted", e);
                    }
                }
            } finally {
                readersWaiting--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Syncs the WAL (or the database) now, outside any batch: after schema migrations, which run on the writing
     * connection before the group commit takes writes.
     *
     * @throws UncheckedIOException when the sync fails
     */
    void syncNow() {
        long upTo = committingSeq;
        acquireSyncing();
        IOException failure = null;
        try {
            failure = syncUpTo(upTo, true);
        } finally {
            releaseSyncing();
        }
        if (failure != null) {
            throw new UncheckedIOException(failure);
        }
    }

    /**
     * With a sync marked in flight: fsyncs unless {@code upTo} is already synced (and not {@code always}), then
     * publishes it.
     */
    private IOException syncUpTo(long upTo, boolean always) {
        if (upTo <= syncedSeq && !always) {
            return null; // nothing committed since the last sync (e.g. a batch that rolled back)
        }
        try {
            action.sync();
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException i ? i : new IOException(e.getClass().getSimpleName(), e);
            LOG.warning("storage at " + description + ": the sync of the write-ahead log failed ("
                    + io.getClass().getSimpleName() + "); the writes it covered are answered as failed (they may "
                    + "have committed) and the next write's sync covers them again");
            return io;
        }
        if (upTo > syncedSeq) {
            syncedSeq = upTo; // one sync in flight at a time: no concurrent writer of syncedSeq
        }
        if (readersWaiting > 0) {
            lock.lock();
            try {
                synced.signalAll();
            } finally {
                lock.unlock();
            }
        }
        return null;
    }

    /** The real sync: the WAL as it is now (opened per sync), or the database when there is no WAL. */
    private void syncFiles() throws IOException {
        FileChannel channel;
        Path file = wal;
        try {
            channel = FileChannel.open(wal, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            file = database; // the last connection closed: everything was checkpointed into the database
            channel = FileChannel.open(database, StandardOpenOption.READ);
        }
        try (FileChannel c = channel) {
            c.force(true);
        }
        lastSynced = file;
        lock.lock();
        try {
            fsyncs++;
        } finally {
            lock.unlock();
        }
    }

    /** Every operation of {@code batch} done (failed when the sync did), its callers woken. */
    private static void complete(GroupCommitOp[] batch, IOException failure) {
        if (failure != null) {
            RuntimeException f = new UncheckedIOException("the sync of the write-ahead log after the commit failed; "
                    + "the write may have committed", failure);
            for (GroupCommitOp o : batch) {
                o.result = null;
                o.failure = f;
            }
        }
        GroupCommitOp.completeAll(batch);
    }

    /** Under the lock: starts the syncer, or wakes it if it waits for work. */
    private void wakeSyncer() {
        if (syncer == null) {
            Thread t = Thread.ofPlatform().name("sqlite-wal-sync").daemon(true).unstarted(this::syncLoop);
            t.setContextClassLoader(WalSyncer.class.getClassLoader());
            t.start();
            syncer = t;
        } else if (syncerWaiting) {
            work.signal();
        }
    }

    private void syncLoop() {
        try {
            syncBatches();
        } finally {
            lock.lock();
            try {
                if (syncer == Thread.currentThread()) {
                    syncer = null; // ended by an Error: the next hand-over starts a new one
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void syncBatches() {
        long idleNanos = TimeUnit.SECONDS.toNanos(SYNCER_IDLE_SECONDS);
        while (true) {
            List<Handed> group;
            lock.lock();
            try {
                long left = idleNanos;
                while (pending.isEmpty() || syncing) {
                    if (left <= 0 && pending.isEmpty()) {
                        syncer = null;
                        return;
                    }
                    syncerWaiting = true;
                    try {
                        left = work.awaitNanos(Math.max(left, TimeUnit.MILLISECONDS.toNanos(1)));
                    } catch (InterruptedException e) {
                        // nobody interrupts the syncer; carry on (the flag is cleared)
                    } finally {
                        syncerWaiting = false;
                    }
                }
                group = new ArrayList<>(pending);
                pending.clear();
                syncing = true;
            } finally {
                lock.unlock();
            }
            long upTo = 0;
            for (Handed h : group) {
                upTo = Math.max(upTo, h.upTo());
            }
            IOException failure = null;
            try {
                failure = syncUpTo(upTo, false);
            } finally {
                lock.lock();
                try {
                    syncing = false;
                } finally {
                    lock.unlock();
                }
                for (Handed h : group) {
                    complete(h.batch(), failure);
                }
            }
        }
    }

    /** Test hook: replaces the sync (the real one: {@code fsync} of the WAL, opened per sync). */
    void syncAction(SyncAction replacement) {
        this.action = requireNonNull(replacement, "replacement is null");
    }

    /** Test hook: the WAL file this syncer syncs. */
    Path wal() {
        return wal;
    }

    /** Test hook: the file the real sync last synced, or null. */
    Path lastSynced() {
        return lastSynced;
    }

    /**
     * Test hook: {real fsyncs, syncs run by a leader (no syncer thread could be started), reads that waited for a
     * sync, committingSeq, syncedSeq}.
     */
    long[] statistics() {
        lock.lock();
        try {
            return new long[] {fsyncs, inlineSyncs, readerWaits, committingSeq, syncedSeq};
        } finally {
            lock.unlock();
        }
    }
}
