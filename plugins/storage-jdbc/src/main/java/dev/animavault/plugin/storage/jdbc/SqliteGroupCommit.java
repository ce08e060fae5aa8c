package dev.animavault.plugin.storage.jdbc;

import static dev.animavault.plugin.storage.jdbc.GroupCommitOp.DONE;
import static dev.animavault.plugin.storage.jdbc.GroupCommitOp.QUEUED;
import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * Group commit of SQLite write transactions: concurrent writers' operations run in one transaction
 * on the single writing connection and are made durable by one commit (one WAL fsync with
 * {@code synchronous=FULL}) instead of one commit each.
 *
 * <p><b>How.</b> A caller queues its operation and waits. The leader of the next batch takes every queued
 * operation (at most {@link #MAX_BATCH}), runs them in queue order inside one {@code BEGIN IMMEDIATE}
 * transaction, commits, and only then hands each caller its result or exception; a caller returns only
 * after the commit holding its operation returned, so what is acknowledged is as durable as before.
 * While one batch commits, the next one gathers, so the batch size follows the load by itself: one
 * writer gets a transaction of its own (no waiting for company), 32 writers share a commit.
 *
 * <p><b>Each operation keeps its own outcome.</b> In a batch of several, each runs between
 * {@code SAVEPOINT} and {@code RELEASE}; an operation that throws (a failed revision check,
 * {@code ALREADY_EXISTS}, a constraint) is rolled back to its savepoint and its caller gets the
 * exception, the others still commit. Operations later in the batch see the effects of earlier ones,
 * exactly as if they had run one after the other. If rolling back to a savepoint fails (SQLite rolled
 * the whole transaction back itself, e.g. on an I/O error) or the commit fails, every operation of the
 * batch gets that failure (none of them committed, or, for a failed commit, as before: a failed write
 * may have committed). A batch of one runs without savepoint, as a plain transaction.
 *
 * <p><b>Who leads: the committer, one platform thread.</b> SQLite is native code: a virtual thread inside a
 * JNI call cannot unmount, so a batch run on a virtual thread would hold one of the scheduler's carriers
 * (two on a 2-core machine) for the whole batch, {@code fsync} included. Batches of virtual callers
 * therefore run on the committer, one platform thread per database (started on demand, ended after
 * {@value #COMMITTER_IDLE_SECONDS} s idle), which after each commit takes the next batch at once: no
 * caller is woken to lead and hand its batch over (that cost a virtual-thread wake-up and a hand-off to
 * the committer per batch, and under load the next batch waited for the woken leader to get a carrier).
 * A caller on a platform thread (tools, tests) leads a batch itself when none is running.
 *
 * <p><b>Waking a batch's callers: a tree, not the leader alone.</b> After the commit the leader marks every
 * operation of the batch done, then unparks only the first caller of the batch; each caller, as soon as it
 * sees its operation done (woken, or finding it done before it parked), unparks the callers at positions
 * {@code 2i+1} and {@code 2i+2} of the batch (its own being {@code i}) before it returns. An {@code unpark}
 * from the platform committer is an external submission to the virtual-thread scheduler (often a
 * {@code futex} wake of a carrier) inside the serial turn every writer waits for; an {@code unpark} from a
 * virtual caller pushes onto its own carrier's queue. Every caller is woken exactly once by the tree (its
 * parent's thread, or the leader for the first), none before its commit returned (all are marked done
 * first), so none waits for a wake-up that never comes; a platform leader in the batch passes its own
 * position's wake-ups on itself. Callers are not woken through a lock that each must take in turn. (The
 * operation, its state and its part of the tree: {@link GroupCommitOp}.)
 *
 * <p><b>Waiting</b> is bounded by {@code timeoutMillis} until the operation is taken into a batch: a
 * caller still queued after that is removed from the queue and gets {@link TimeoutException}; once its
 * operation runs, it waits for the commit. Interrupts likewise: a queued caller leaves the queue, a
 * running one waits for the commit and keeps its interrupt status. Only the caller at the head of the queue
 * (and any whose deadline comes before that of someone queued ahead of it) waits with a timer: the others'
 * deadlines come no earlier than the head's, and whoever removes the head from the queue (a batch taking it,
 * or its caller leaving) wakes the next head to set its timer, so a batch of queued virtual callers costs one
 * timer instead of one each. Thread-safe; callbacks must not call back into the group commit (no nested
 * writes).
 */
final class SqliteGroupCommit {

    /** The most operations one transaction takes: bounds a batch's work and the time its first caller waits. */
    static final int MAX_BATCH = 256;

    /** Seconds the committer thread stays alive without a batch (it is started again on demand). */
    static final int COMMITTER_IDLE_SECONDS = 30;

    /** Thrown by {@link #run} when the operation could not start within the timeout (nothing was done). */
    static final class TimeoutException extends Exception {
        TimeoutException() {
            super(null, null, false, false);
        }
    }

    private final Lazy<Jdbi> writer;
    /**
     * The writing connection's kept statements: the savepoints of a batch and the hottest writes'
     * statements ({@link JdbcAccess#update}); used only inside a batch, by its one running thread.
     */
    private final WriterStatements statements = new WriterStatements();
    private final ReentrantLock monitor = new ReentrantLock();
    /** Signalled (under the monitor) when the waiting committer has a batch to take. */
    private final Condition committerWake = monitor.newCondition();
    // guarded by the monitor
    private final ArrayDeque<GroupCommitOp> queue = new ArrayDeque<>();
    /** The latest deadline of the operations queued since the queue was last empty. */
    private long latestQueuedDeadline;
    /** The operation at the head of the queue, or null; written under the monitor, read by waiting callers. */
    private volatile GroupCommitOp head;
    private boolean leaderActive;
    /** The committer thread, or null when none runs (not started yet, or ended idle). */
    private Thread committer;
    private boolean committerWaiting;
    // statistics (guarded by the monitor): batches and operations committed, for tests and tuning
    private long batches;
    private long operations;
    private int largestBatch;

    /**
     * @param writer Jdbi on the pool of the single writing connection, whose transactions begin IMMEDIATE (made at
     *               the first write)
     */
    SqliteGroupCommit(Lazy<Jdbi> writer) {
        this.writer = requireNonNull(writer, "writer is null");
    }

    /**
     * Runs {@code callback} in a write transaction, possibly together with other callers' operations,
     * and returns its result once that transaction committed.
     *
     * @throws TimeoutException      when the operation did not start within {@code timeoutMillis} (it never ran)
     * @throws InterruptedException  when interrupted while still queued (it never ran)
     * @throws RuntimeException      what the callback threw (its changes were rolled back), or the
     *                               failure of the transaction (begin, rollback to a savepoint, commit)
     */
    @SuppressWarnings("unchecked")
    <T> T run(HandleCallback<T, RuntimeException> callback, long timeoutMillis)
            throws TimeoutException, InterruptedException {
        Thread self = Thread.currentThread();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        GroupCommitOp op = new GroupCommitOp(callback, self, deadline);
        boolean platform = !self.isVirtual();
        GroupCommitOp[] batch = null;
        monitor.lock();
        try {
            if (queue.isEmpty() || deadline - latestQueuedDeadline > 0) {
                op.behindEarlierDeadlines = !queue.isEmpty();
                latestQueuedDeadline = deadline;
            } else {
                op.behindEarlierDeadlines = deadline - latestQueuedDeadline == 0;
            }
            queue.add(op);
            headChanged();
            if (!leaderActive) {
                if (platform) {
                    leaderActive = true;
                    batch = take();
                } else {
                    try {
                        wakeCommitter();
                    } catch (RuntimeException | Error e) {
                        queue.remove(op); // no committer could be started (out of threads): nothing ran
                        headChanged();
                        throw e;
                    }
                }
            }
        } finally {
            monitor.unlock();
        }
        if (batch == null) {
            batch = await(op, deadline, platform);
        }
        if (batch != null) {
            lead(batch); // a platform caller leads; the batch it took holds its own operation
        }
        op.wakeChildren(); // done: wake the next callers of its batch before anything else
        return (T) op.outcome();
    }

    /**
     * Waits until the operation is done, or (platform callers only) until it may lead the next batch, which
     * is then returned (taken, with this operation in it); null once done.
     */
    private GroupCommitOp[] await(GroupCommitOp op, long deadline, boolean platform)
            throws TimeoutException, InterruptedException {
        boolean interruptedWhileRunning = false;
        try {
            while (true) {
                int state = op.state;
                if (state == DONE) {
                    return null;
                }
                if (state == QUEUED) {
                    boolean interrupted = Thread.interrupted();
                    long left = deadline - System.nanoTime();
                    if (interrupted || left <= 0 || platform) {
                        GroupCommitOp[] lead = whileQueued(op, interrupted, left, platform);
                        if (lead != null) {
                            return lead;
                        }
                        interruptedWhileRunning |= interrupted; // taken meanwhile: wait for the commit
                    }
                    if (op.state == QUEUED) {
                        if (!platform && op.behindEarlierDeadlines && head != op) {
                            // the head's timer stands for this one: its deadline comes first, and whoever
                            // removes the head from the queue wakes the next head to set its own timer
                            LockSupport.park(this);
                        } else {
                            LockSupport.parkNanos(this, left);
                        }
                    }
                } else {
                    LockSupport.park(this); // running: its outcome comes with the commit
                    if (Thread.interrupted()) {
                        interruptedWhileRunning = true;
                    }
                }
            }
        } finally {
            if (interruptedWhileRunning) {
                Thread.currentThread().interrupt(); // keep the flag for the caller
            }
        }
    }

    /**
     * Under the monitor, for a caller that was interrupted, is past its deadline or is on a platform thread:
     * if its operation is still queued, leaves the queue (throwing) or takes the lead (returning the batch).
     * Null when there is nothing to do (the operation was taken meanwhile, or another batch runs).
     */
    private GroupCommitOp[] whileQueued(GroupCommitOp op, boolean interrupted, long left, boolean platform)
            throws TimeoutException, InterruptedException {
        monitor.lock();
        try {
            if (op.state != QUEUED) {
                return null;
            }
            if (interrupted || left <= 0) {
                leaveQueue(op);
                if (interrupted) {
                    throw new InterruptedException();
                }
                throw new TimeoutException();
            }
            if (platform && !leaderActive) {
                leaderActive = true;
                return take();
            }
            return null;
        } finally {
            monitor.unlock();
        }
    }

    /**
     * Under the monitor: an operation gives up its place; if no batch runs, the next leader is woken (it may
     * have been woken to lead instead of the one leaving).
     */
    private void leaveQueue(GroupCommitOp op) {
        queue.remove(op);
        headChanged();
        wakeNextLeader();
    }

    /**
     * Under the monitor, after the queue changed: records its head and, when that is a new one whose virtual
     * caller may be parked without a timer, wakes it to set its timer (a timed park of a virtual thread schedules
     * and cancels a timer task: ~2-3% of a create's CPU when every queued caller had one).
     */
    private void headChanged() {
        GroupCommitOp h = queue.peek();
        if (h != head) {
            head = h;
            if (h != null && h.behindEarlierDeadlines && h.waiter.isVirtual()) {
                LockSupport.unpark(h.waiter);
            }
        }
    }

    /**
     * Under the monitor: when no batch runs and operations are queued, wakes whoever leads the next batch:
     * the first queued caller if it is on a platform thread, else the committer.
     */
    private void wakeNextLeader() {
        GroupCommitOp next = queue.peek();
        if (leaderActive || next == null) {
            return;
        }
        if (next.waiter.isVirtual()) {
            wakeCommitter();
        } else {
            LockSupport.unpark(next.waiter);
        }
    }

    /** Under the monitor: starts the committer, or wakes it if it waits for work (running: it looks by itself). */
    private void wakeCommitter() {
        if (committer == null) {
            Thread t = Thread.ofPlatform().name("sqlite-group-commit").daemon(true).unstarted(this::commitLoop);
            t.setContextClassLoader(SqliteGroupCommit.class.getClassLoader());
            t.start();
            committer = t;
        } else if (committerWaiting) {
            committerWake.signal();
        }
    }

    /** The committer: takes and runs batches while operations are queued; ends after a long idle time. */
    private void commitLoop() {
        try {
            commitBatches();
        } finally {
            monitor.lock();
            try {
                if (committer == Thread.currentThread()) {
                    committer = null; // ended by an Error: a later caller starts a new one
                }
            } finally {
                monitor.unlock();
            }
        }
    }

    private void commitBatches() {
        long idleNanos = TimeUnit.SECONDS.toNanos(COMMITTER_IDLE_SECONDS);
        while (true) {
            GroupCommitOp[] batch;
            monitor.lock();
            try {
                long left = idleNanos;
                while (queue.isEmpty() || leaderActive) {
                    if (left <= 0) {
                        committer = null; // a later virtual caller starts a new one
                        return;
                    }
                    committerWaiting = true;
                    try {
                        left = committerWake.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // nobody interrupts the committer; carry on (the flag is cleared)
                    } finally {
                        committerWaiting = false;
                    }
                }
                leaderActive = true;
                batch = take();
            } finally {
                monitor.unlock();
            }
            lead(batch);
        }
    }

    /** Under the monitor: takes the queued operations into a batch (marking them running). */
    private GroupCommitOp[] take() {
        int n = Math.min(queue.size(), MAX_BATCH);
        GroupCommitOp[] batch = new GroupCommitOp[n];
        for (int i = 0; i < n; i++) {
            queue.poll().take(batch, i);
        }
        headChanged();
        return batch;
    }

    /** Runs a batch and commits it, then completes and wakes its callers and passes the lead on. Never throws. */
    private void lead(GroupCommitOp[] batch) {
        Throwable batchFailure = null;
        try {
            if (batch.length == 1) {
                GroupCommitOp only = batch[0];
                try {
                    only.result = writer.get().inTransaction(only.callback);
                } catch (RuntimeException e) {
                    only.failure = e;
                }
            } else {
                writer.get().useTransaction(h -> runAll(h, batch));
            }
        } catch (Throwable e) {
            batchFailure = e; // begin, savepoint handling or commit failed: nothing of the batch is known to be durable
        } finally {
            if (batchFailure != null) {
                for (GroupCommitOp o : batch) {
                    o.result = null;
                    o.failure = batchFailure;
                }
            }
            monitor.lock();
            try {
                if (batchFailure == null) {
                    batches++;
                    operations += batch.length;
                    largestBatch = Math.max(largestBatch, batch.length);
                }
                // the lead is given up before the callers learn their outcome: a caller that writes again
                // right after finds no batch running (a platform caller then leads its own at once)
                leaderActive = false;
                wakeNextLeader(); // the committer looks by itself; a platform leader passes the lead on
            } catch (RuntimeException | Error e) {
                // no committer could be started (out of threads): the queued callers time out, and the
                // first of them to leave the queue tries again
            } finally {
                monitor.unlock();
            }
            GroupCommitOp.completeAll(batch); // then the tree: each woken caller wakes its children
        }
    }

    private void runAll(Handle h, GroupCommitOp[] batch) {
        for (GroupCommitOp o : batch) {
            statements.update(h, "SAVEPOINT op");
            try {
                o.result = o.callback.withHandle(h);
            } catch (RuntimeException e) {
                o.failure = e;
                try {
                    statements.update(h, "ROLLBACK TO op");
                } catch (RuntimeException rollback) {
                    // SQLite already rolled the whole transaction back (I/O error, disk full): the batch fails
                    e.addSuppressed(rollback);
                    throw e;
                }
            }
            statements.update(h, "RELEASE op");
        }
    }

    /** The writing connection's kept statements, for the operations' callbacks (inside a batch only). */
    WriterStatements statements() {
        return statements;
    }

    /** Test hook: operations queued and not yet taken into a batch. */
    int queued() {
        monitor.lock();
        try {
            return queue.size();
        } finally {
            monitor.unlock();
        }
    }

    /** Test hook: {batches committed, operations in them, the largest batch}. */
    long[] statistics() {
        monitor.lock();
        try {
            return new long[] {batches, operations, largestBatch};
        } finally {
            monitor.unlock();
        }
    }
}
