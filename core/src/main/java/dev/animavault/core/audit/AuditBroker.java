package dev.animavault.core.audit;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands every audit event to all configured sinks and tells the caller whether at least one recorded
 * it, so that an operation on a secret can fail closed.
 *
 * <p>Group commit by combining: a request queues its event and takes the write lock; whoever holds the
 * lock drains everything queued (its own event and those of requests that arrived meanwhile) and writes
 * it to each sink as one batch, then marks every event of the batch done. A request that finds its event
 * already done when it gets the lock returns at once. A request that finds the lock held polls for up to
 * 50 microseconds (yielding its carrier) before it parks with the timeout, because a batch is usually
 * written within that time and a timed park costs more than the wait. Without contention the request
 * thread writes its own event directly (no hand-off to another thread, no park/unpark); under load a
 * batch holds many events, so the sinks' cost (a write, a flush, maybe an fsync) is shared. A request that waits longer
 * than the timeout withdraws its event (it is never written later) and is refused. Thread-safe.
 */
public final class AuditBroker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuditBroker.class.getName());
    private static final int MAX_BATCH = 1024;
    /** How long a caller that finds the lock held polls before it parks (a sink writes a batch in ~10 us). */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final int PENDING = 0;
    private static final int CLAIMED = 1;
    private static final int RECORDED = 2;
    private static final int FAILED = 3;
    private static final int WITHDRAWN = 4;

    /** One caller's event and its state (PENDING -> CLAIMED -> RECORDED/FAILED, or PENDING -> WITHDRAWN). */
    private static final class Pending {
        private static final java.lang.invoke.VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Pending.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final AuditEvent event;
        private volatile int state = PENDING;

        Pending(AuditEvent event) {
            this.event = event;
        }

        boolean move(int from, int to) {
            return STATE.compareAndSet(this, from, to);
        }

        int state() {
            return state;
        }

        void finish(boolean recorded) {
            state = recorded ? RECORDED : FAILED;
        }
    }

    private final List<AuditSink> sinks;
    private final Optional<QueryableAuditSink> queryable;
    private final long timeoutNanos;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile boolean closed;
    private final AtomicLong sequence = new AtomicLong();
    private final String nodeTag;

    /**
     * @param sinks   the sinks, already probed
     * @param timeout how long a caller waits for its event to be recorded
     */
    public AuditBroker(List<AuditSink> sinks, Duration timeout) {
        this.sinks = List.copyOf(sinks);
        if (this.sinks.isEmpty()) {
            throw new VaultException(ErrorCode.CONFIGURATION, "at least one audit sink is required");
        }
        this.queryable = this.sinks.stream().filter(QueryableAuditSink.class::isInstance)
                .map(QueryableAuditSink.class::cast).findFirst();
        this.timeoutNanos = Objects.requireNonNull(timeout, "timeout is null").toNanos();
        byte[] tag = new byte[3];
        new SecureRandom().nextBytes(tag);
        this.nodeTag = HexFormat.of().formatHex(tag);
    }

    /** A new event id: time-ordered (milliseconds, then a per-node sequence) and unique across nodes. */
    public String newEventId(long epochMillis) {
        char[] out = new char[22 + nodeTag.length()];
        hex(epochMillis, out, 0, 12);
        hex(sequence.incrementAndGet() & 0xFFFFFFFFFFL, out, 12, 10);
        nodeTag.getChars(0, nodeTag.length(), out, 22);
        return new String(out);
    }

    private static void hex(long value, char[] out, int offset, int digits) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            out[i] = Character.forDigit((int) (value & 0xF), 16);
            value >>>= 4;
        }
    }

    /**
     * Records an event and waits until at least one sink has it.
     *
     * @return true if at least one sink recorded it; false if none did within the timeout (the event is
     *         then withdrawn and never written)
     */
    public boolean record(AuditEvent event) {
        Objects.requireNonNull(event, "event is null");
        if (closed) {
            return false;
        }
        Pending p = new Pending(event);
        queue.add(p);
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        long spinUntil = start + Math.min(SPIN_NANOS, timeoutNanos);
        try {
            while (true) {
                int state = p.state();
                if (state == RECORDED || state == FAILED) {
                    return state == RECORDED;
                }
                if (!writeLock.tryLock()) {
                    long now = System.nanoTime();
                    if (now - spinUntil < 0) {
                        // the holder is usually done within microseconds: wait without a timed park (each
                        // timed park of a virtual thread schedules and cancels a wake-up in the scheduler)
                        pause();
                        continue;
                    }
                    long left = deadline - now;
                    if (left <= 0 || !writeLock.tryLock(left, TimeUnit.NANOSECONDS)) {
                        return withdraw(p);
                    }
                }
                try {
                    if (p.state() == PENDING) {
                        writeQueued(p);
                    }
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return withdraw(p);
        }
    }

    /**
     * Lets others run for a moment: a virtual thread yields its carrier to other runnable virtual threads
     * (the lock holder among them, if it is not running); a platform thread spins.
     */
    private static void pause() {
        if (Thread.currentThread().isVirtual()) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    /** Gives up on an event: if no writer has claimed it yet it is never written. */
    private boolean withdraw(Pending p) {
        if (p.move(PENDING, WITHDRAWN)) {
            queue.remove(p);
            LOG.log(System.Logger.Level.WARNING, "Audit event {0} not recorded in time", p.event.id());
            return false;
        }
        // claimed by the lock holder and still being written by a sink slower than the timeout: refuse
        // (fail closed); the event may still be recorded
        int state = p.state();
        if (state != RECORDED) {
            LOG.log(System.Logger.Level.WARNING, "Audit event {0} not recorded in time (a sink is still writing it)",
                    p.event.id());
        }
        return state == RECORDED;
    }

    /**
     * Under the write lock: writes queued events in batches until {@code mine} is done (or, for
     * {@code mine == null}, until the queue is empty).
     */
    private void writeQueued(Pending mine) {
        List<Pending> batch = new ArrayList<>();
        do {
            Pending next;
            while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                if (next.move(PENDING, CLAIMED)) {
                    batch.add(next);
                }
            }
            if (batch.isEmpty()) {
                return;
            }
            boolean recorded = false;
            try {
                recorded = writeBatch(batch);
            } catch (Throwable e) {
                // an Error from a sink must not leave callers waiting
                LOG.log(System.Logger.Level.ERROR, "Audit write failed", e);
            } finally {
                for (Pending p : batch) {
                    p.finish(recorded);
                }
                batch.clear();
            }
        } while (mine == null || mine.state() == PENDING);
    }

    /** Records an event or throws {@code AUDIT_UNAVAILABLE} (fail closed). */
    public void recordOrFail(AuditEvent event) {
        if (!record(event)) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused because no audit sink "
                    + "could record it");
        }
    }

    /** Queries the first sink that can answer queries. */
    public Page<AuditEvent> query(AuditQuery query) {
        return queryable.orElseThrow(() -> new VaultException(ErrorCode.UNAVAILABLE, "no configured audit sink can "
                + "answer queries (configure one such as type: file)")).query(query);
    }

    private boolean writeBatch(List<Pending> batch) {
        List<AuditEvent> events = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            events.add(p.event);
        }
        boolean any = false;
        for (AuditSink sink : sinks) {
            try {
                sink.write(events);
                any = true;
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "Audit sink " + sink + " failed to record " + events.size()
                        + " event(s): " + e.getMessage());
            }
        }
        return any;
    }

    /** Refuses new events and writes what is queued. */
    @Override
    public void close() {
        closed = true;
        writeLock.lock();
        try {
            writeQueued(null);
        } finally {
            writeLock.unlock();
        }
    }
}
