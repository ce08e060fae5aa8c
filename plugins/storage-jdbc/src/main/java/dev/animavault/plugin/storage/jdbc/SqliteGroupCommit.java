package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * Group commit of SQLite write transactions: concurrent writers' operations run in one transaction
 * on the single writing connection and are made durable by one commit (one WAL fsync with
 * {@code synchronous=FULL}) instead of one commit each.
 *
 * <p><b>How.</b> A caller queues its operation, then either becomes the <em>leader</em> (no batch is
 * running) or waits. The leader takes every queued operation (at most {@link #MAX_BATCH}), runs them in
 * queue order inside one {@code BEGIN IMMEDIATE} transaction, commits, and only then hands each caller
 * its result or exception; a caller returns only after the commit holding its operation returned, so
 * what is acknowledged is as durable as before. While one batch commits, the next one gathers, so the
 * batch size follows the load by itself: one writer gets a transaction of its own (no hand-off, no
 * waiting for company), 32 writers share a commit. The leader runs on a caller's thread (no writer
 * thread to hand off to and wake up).
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
 * <p><b>The batch runs on a platform thread.</b> SQLite is native code: a virtual thread inside a JNI call
 * cannot unmount, so a leader running on a virtual thread would hold one of the scheduler's carriers
 * (two on a 2-core machine) for the whole batch, {@code fsync} included, and every other request would
 * share what is left. A leader on a virtual thread therefore hands its batch to the committer, one
 * platform thread (started on demand, ended after {@value #COMMITTER_IDLE_SECONDS} s idle), and parks
 * until the commit returned: one hand-off per batch, not per write. A leader on a platform thread
 * (tools, tests) runs the batch itself.
 *
 * <p><b>Waiting</b> is bounded by {@code timeoutMillis} until the operation is taken into a batch: a
 * caller still queued after that is removed from the queue and gets {@link TimeoutException}; once its
 * operation runs, it waits for the commit. Thread-safe; callbacks must not call back into the group
 * commit (no nested writes).
 */
final class SqliteGroupCommit {

    /** The most operations one transaction takes: bounds a batch's work and the time its first caller waits. */
    static final int MAX_BATCH = 256;

    /** Seconds the committer thread stays alive without a batch (it is started again on demand). */
    static final int COMMITTER_IDLE_SECONDS = 30;

    /**
     * A committer: at most one platform thread, daemon, ended when idle (so nothing needs closing and an
     * unused group commit holds no thread). One per database: batches never wait for another database.
     */
    private static ExecutorService committer() {
        return new ThreadPoolExecutor(0, 1, COMMITTER_IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = Thread.ofPlatform().name("sqlite-group-commit").daemon(true).unstarted(r);
                    t.setContextClassLoader(SqliteGroupCommit.class.getClassLoader());
                    return t;
                });
    }

    /** Thrown by {@link #run} when the operation could not start within the timeout (nothing was done). */
    static final class TimeoutException extends Exception {
        TimeoutException() {
            super(null, null, false, false);
        }
    }

    private static final class Op {
        final HandleCallback<?, RuntimeException> callback;
        /** Signalled when this operation is done, or when it is first in the queue and no batch runs. */
        final Condition wake;
        /** Guarded by the monitor: 0 queued, 1 running, 2 done. */
        int state;
        Object result;
        Throwable failure;

        Op(HandleCallback<?, RuntimeException> callback, Condition wake) {
            this.callback = callback;
            this.wake = wake;
        }
    }

    private final Lazy<Jdbi> writer;
    /**
     * The writing connection's kept statements: the savepoints of a batch and the hottest writes'
     * statements ({@link JdbcAccess#update}); used only inside a batch, by its one running thread.
     */
    private final WriterStatements statements = new WriterStatements();
    private final ExecutorService committer = committer();
    private final ReentrantLock monitor = new ReentrantLock();
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private boolean leaderActive;
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
        Op op = new Op(callback, monitor.newCondition());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<Op> batch;
        monitor.lock();
        try {
            queue.add(op);
            while (true) {
                if (op.state == 2) {
                    return (T) outcome(op);
                }
                if (!leaderActive) {
                    leaderActive = true;
                    batch = take();
                    break;
                }
                long left = deadline - System.nanoTime();
                if (op.state == 0 && left <= 0) {
                    leaveQueue(op);
                    throw new TimeoutException();
                }
                try {
                    if (op.state == 0) {
                        op.wake.awaitNanos(left);
                    } else {
                        op.wake.awaitUninterruptibly(); // running: its outcome comes with the commit
                    }
                } catch (InterruptedException e) {
                    if (op.state == 0) {
                        leaveQueue(op);
                        throw e;
                    }
                    Thread.currentThread().interrupt(); // running: wait for the commit, keep the flag
                }
            }
        } finally {
            monitor.unlock();
        }
        if (Thread.currentThread().isVirtual()) {
            // park (unmounted) while the committer runs the native batch and its fsync; join does not
            // throw: lead() records every failure in the operations
            CompletableFuture.runAsync(() -> lead(batch), committer).join();
        } else {
            lead(batch);
        }
        // the batch taken by this leader always holds its own operation (it was queued and not yet taken)
        return (T) outcome(op);
    }

    /**
     * Under the monitor: an operation gives up its place; if no batch runs, the new first one is woken to
     * lead (it may have been signalled to lead instead of the one leaving).
     */
    private void leaveQueue(Op op) {
        queue.remove(op);
        wakeNextLeader();
    }

    /** Under the monitor: when no batch runs, wakes the first queued operation's caller to lead the next. */
    private void wakeNextLeader() {
        Op next = queue.peek();
        if (!leaderActive && next != null) {
            next.wake.signal();
        }
    }

    /** Under the monitor: takes the queued operations into a batch (marking them running). */
    private List<Op> take() {
        int n = Math.min(queue.size(), MAX_BATCH);
        List<Op> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Op o = queue.poll();
            o.state = 1;
            batch.add(o);
        }
        return batch;
    }

    private void lead(List<Op> batch) {
        Throwable batchFailure = null;
        try {
            if (batch.size() == 1) {
                Op only = batch.get(0);
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
            monitor.lock();
            try {
                for (Op o : batch) {
                    if (batchFailure != null) {
                        o.result = null;
                        o.failure = batchFailure;
                    }
                    o.state = 2;
                    o.wake.signal();
                }
                if (batchFailure == null) {
                    batches++;
                    operations += batch.size();
                    largestBatch = Math.max(largestBatch, batch.size());
                }
                leaderActive = false;
                // only the callers of this batch and the next leader wake (signalAll woke every waiting
                // caller once per batch, and all but one went back to waiting)
                wakeNextLeader();
            } finally {
                monitor.unlock();
            }
        }
    }

    private void runAll(Handle h, List<Op> batch) {
        for (Op o : batch) {
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

    private static Object outcome(Op op) {
        Throwable f = op.failure;
        if (f == null) {
            return op.result;
        }
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(f);
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
