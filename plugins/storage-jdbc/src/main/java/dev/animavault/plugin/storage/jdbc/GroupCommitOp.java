package dev.animavault.plugin.storage.jdbc;

import java.util.concurrent.locks.LockSupport;
import org.jdbi.v3.core.HandleCallback;

/**
 * One caller's operation in {@link SqliteGroupCommit}: its callback, its waiting thread, its state and outcome,
 * and its place in the batch that ran it, from which the callers of a batch are woken as a tree
 * ({@link #wakeChildren}).
 *
 * <p>State: {@link #QUEUED} -> {@link #RUNNING} (under the group commit's monitor, when taken into a batch) ->
 * {@link #DONE} (after its commit). The outcome ({@link #result}, {@link #failure}) is written by the batch's
 * leader before the volatile {@code state} becomes DONE, which publishes it to the caller.
 */
final class GroupCommitOp {

    static final int QUEUED = 0;
    static final int RUNNING = 1;
    static final int DONE = 2;

    final HandleCallback<?, RuntimeException> callback;
    final Thread waiter;
    /** When the caller stops waiting for its operation to be taken into a batch ({@link System#nanoTime}). */
    final long deadline;
    /**
     * Set under the monitor before the operation is queued: every operation queued ahead of it has an earlier
     * or equal deadline, so while another one is at the head of the queue this caller needs no timer of its
     * own (see {@code SqliteGroupCommit.await}). Read only by the caller's thread.
     */
    boolean behindEarlierDeadlines;
    /** QUEUED -> RUNNING -> DONE, see the class comment. */
    volatile int state = QUEUED;
    /** Written by the batch's leader before {@code state} becomes DONE (the volatile write publishes them). */
    Object result;
    Throwable failure;
    /**
     * The batch holding this operation and its position in it (set under the monitor when taken, read after
     * {@code state} is DONE): whose callers this one wakes once done ({@link #wakeChildren}).
     */
    private GroupCommitOp[] batch;
    private int index;

    GroupCommitOp(HandleCallback<?, RuntimeException> callback, Thread waiter, long deadline) {
        this.callback = callback;
        this.waiter = waiter;
        this.deadline = deadline;
    }

    /** Under the monitor: takes this operation into {@code batch} at {@code position} (it is RUNNING from now). */
    void take(GroupCommitOp[] batch, int position) {
        this.batch = batch;
        this.index = position;
        this.state = RUNNING;
        batch[position] = this;
    }

    /**
     * By the leader, after the batch's commit (or its failure) and after every outcome is set: marks every
     * operation done, then wakes the first caller (unless it is the leader itself, which returns to its own
     * operation in {@code SqliteGroupCommit.run}). Every operation is done before anyone is woken: a caller woken
     * by the tree, or finding its operation done before it parked, wakes its own part of the tree
     * ({@link #wakeChildren}).
     */
    static void completeAll(GroupCommitOp[] batch) {
        for (GroupCommitOp o : batch) {
            o.state = DONE;
        }
        if (batch[0].waiter != Thread.currentThread()) {
            LockSupport.unpark(batch[0].waiter);
        }
    }

    /**
     * Once this operation is done, by its caller's thread: wakes the callers at positions {@code 2i+1} and
     * {@code 2i+2} of its batch (its own being {@code i}). Each caller of a batch is woken once this way (the
     * first by the leader, {@link #completeAll}), so the wake-ups spread over the woken callers' threads instead
     * of the leader's serial turn.
     */
    void wakeChildren() {
        GroupCommitOp[] b = batch;
        int child = 2 * index + 1;
        if (child < b.length) {
            LockSupport.unpark(b[child].waiter);
            if (child + 1 < b.length) {
                LockSupport.unpark(b[child + 1].waiter);
            }
        }
    }

    /** Once done: the callback's result, or its failure (or the batch's) rethrown. */
    Object outcome() {
        Throwable f = failure;
        if (f == null) {
            return result;
        }
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(f);
    }
}
