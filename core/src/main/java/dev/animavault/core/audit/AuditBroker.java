package dev.animavault.core.audit;

import dev.animavault.core.telemetry.Tracing;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.QueryableAuditSink;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands every audit event to all configured sinks and tells the caller whether at least one recorded
 * it, so that an operation on a secret can fail closed.
 *
 * <p><b>Group commit through a flusher.</b> A request queues its event, makes sure the broker's flusher
 * (one virtual thread) is scheduled, and parks. The flusher drains everything queued and writes it to
 * each sink as one batch, then marks every event of the batch done and unparks its request. Because the
 * flusher is a virtual thread, waking it and the requests costs no operating-system thread switch: it
 * is queued on a carrier like any request (for callers on virtual threads), and it yields once before it
 * drains, so the other requests that were runnable (e.g. all the callers one group commit woke) reach their
 * audit step first and one batch (one {@code write} to the audit file) serves them all. No request thread ever holds a lock while a
 * sink writes, so a request thread preempted by the operating system holds up only its own request.
 * (The previous design let the first request write for everyone under a lock; on two cores its batches
 * held ~1.1 events, and a preempted lock holder stalled every audited read; see
 * {@code docs/decisions.md}.)
 *
 * <p><b>Timeouts.</b> A watchdog thread checks waiting requests every {@code timeout / 10} (between 1 and
 * 100 ms). A request whose event is still queued after the timeout withdraws it (it is never written
 * later) and is refused; a request whose event is being written by a sink slower than the timeout is
 * refused too (fail closed), though that event may still be recorded. A sink that blocks therefore holds
 * up the flusher, and every request gives up after the timeout. If the oldest queued event has waited a
 * whole period and the flusher has not taken it (a virtual thread can be starved of carriers, e.g. by
 * callers that park while pinned on JDK 21-23), the watchdog writes the queue itself. {@link #close()}
 * refuses whatever still waits once the flusher is done or the timeout has passed. Thread-safe.
 *
 * <p>Callers on platform threads work the same way but pay an OS wake-up for the flusher and one for
 * themselves; the HTTP server runs every request on a virtual thread.
 */
public final class AuditBroker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuditBroker.class.getName());
    private static final int MAX_BATCH = 1024;
    private static final int PENDING = 0;
    private static final int CLAIMED = 1;
    private static final int RECORDED = 2;
    private static final int FAILED = 3;
    private static final int WITHDRAWN = 4;

    /**
     * One caller's event and its state (PENDING -> CLAIMED -> RECORDED/FAILED, or PENDING -> WITHDRAWN);
     * {@code expired} is set by the watchdog when a claimed event outlives the caller's deadline.
     */
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
        final Thread waiter;
        final long deadline;
        /** The span current when the event was recorded (its request's), or null (untraced, or no span). */
        final SpanContext origin;
        private volatile int state = PENDING;
        volatile boolean expired;

        Pending(AuditEvent event, Thread waiter, long deadline, SpanContext origin) {
            this.event = event;
            this.waiter = waiter;
            this.deadline = deadline;
            this.origin = origin;
        }

        boolean move(int from, int to) {
            return STATE.compareAndSet(this, from, to);
        }

        int state() {
            return state;
        }

        void finish(boolean recorded) {
            state = recorded ? RECORDED : FAILED;
            LockSupport.unpark(waiter);
        }
    }

    private final List<AuditSink> sinks;
    private final Optional<QueryableAuditSink> queryable;
    private final long timeoutNanos;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    /** Set by a request that needs the flusher, cleared by the flusher before it drains the queue. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Every request waiting in {@link #record}, whatever its state: what the watchdog checks. */
    private final Set<Pending> waiting = ConcurrentHashMap.newKeySet();
    /** Held by whoever writes batches: the flusher, or the watchdog standing in for a starved flusher. */
    private final ReentrantLock writing = new ReentrantLock();
    private final long periodNanos;
    private volatile boolean closed;
    private final Thread flusher;
    private final Thread watchdog;
    private final AtomicLong sequence = new AtomicLong();
    private final String nodeTag;
    /** Hashes sensitive fields before any sink sees an event; null: fields in clear (tools, tests). */
    private volatile SensitiveFields sensitive;
    /** How many events this thread has handed in (see {@link #handedInOnThisThread}). */
    private final ThreadLocal<long[]> handedIn = ThreadLocal.withInitial(() -> new long[1]);

    /**
     * Starts the broker's flusher and watchdog threads; {@link #close()} stops them.
     *
     * @param sinks   the sinks, already probed
     * @param timeout how long a caller waits for its event to be recorded
     */
    public AuditBroker(List<AuditSink> sinks, Duration timeout) {
        this(sinks, timeout, Thread.ofVirtual().name("audit-flusher")::start);
    }

    /** For tests: {@code startFlusher} starts the flusher loop on a thread of its choice (or never). */
    AuditBroker(List<AuditSink> sinks, Duration timeout, java.util.function.Function<Runnable, Thread> startFlusher) {
        this.sinks = List.copyOf(sinks);
        if (this.sinks.isEmpty()) {
            throw new VaultException(ErrorCode.CONFIGURATION, "at least one audit sink is required");
        }
        this.queryable = this.sinks.stream().filter(QueryableAuditSink.class::isInstance)
                .map(QueryableAuditSink.class::cast).findFirst();
        this.timeoutNanos = Objects.requireNonNull(timeout, "timeout is null").toNanos();
        if (timeoutNanos <= 0) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the audit timeout must be positive");
        }
        byte[] tag = new byte[3];
        new SecureRandom().nextBytes(tag);
        this.nodeTag = HexFormat.of().formatHex(tag);
        this.periodNanos = Math.clamp(timeoutNanos / 10, TimeUnit.MILLISECONDS.toNanos(1),
                TimeUnit.MILLISECONDS.toNanos(100));
        this.flusher = startFlusher.apply(this::flushLoop);
        this.watchdog = Thread.ofPlatform().daemon().name("audit-watchdog").start(this::watchLoop);
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
     * Records an event and waits until at least one sink has it (or the timeout passes).
     *
     * @return true if at least one sink recorded it; false if none did within the timeout (an event still
     *         queued then is withdrawn and never written), or the broker is closed, or the calling thread
     *         is interrupted (its interrupt status is kept)
     */
    public boolean record(AuditEvent event) {
        Objects.requireNonNull(event, "event is null");
        if (closed) {
            return false;
        }
        SensitiveFields f = sensitive;
        if (f != null) {
            event = f.apply(event);
        }
        handedIn.get()[0]++;
        Pending p = new Pending(event, Thread.currentThread(), System.nanoTime() + timeoutNanos,
                Tracing.tracer() == null ? null : Tracing.currentOrigin());
        waiting.add(p);
        try {
            queue.add(p);
            if (closed && p.move(PENDING, WITHDRAWN)) {
                // close() may have drained the queue before this event arrived
                queue.remove(p);
                return false;
            }
            if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
                LockSupport.unpark(flusher);
            }
            return await(p);
        } finally {
            waiting.remove(p);
        }
    }

    /** Parks until the event is done, withdrawn or expired (the watchdog unparks at the deadline). */
    private boolean await(Pending p) {
        AuditEvent event = p.event;
        while (true) {
            int state = p.state();
            if (state == RECORDED || state == FAILED) {
                return state == RECORDED;
            }
            if (state == WITHDRAWN) {
                LOG.log(System.Logger.Level.WARNING, "Audit event {0} not recorded in time", event.id());
                return false;
            }
            if (p.expired) {
                LOG.log(System.Logger.Level.WARNING, "Audit event {0} not recorded in time (a sink is still writing it)",
                        event.id());
                return false;
            }
            if (Thread.currentThread().isInterrupted()) {
                if (p.move(PENDING, WITHDRAWN)) {
                    queue.remove(p);
                    return false;
                }
                return p.state() == RECORDED;
            }
            LockSupport.park(this);
        }
    }

    /** The flusher: waits to be scheduled, then writes what is queued; after close, drains and ends. */
    private void flushLoop() {
        while (true) {
            while (!scheduled.get() && !closed) {
                LockSupport.park(this);
            }
            if (!closed) {
                // Let the requests that are runnable now reach their audit step first, so one batch (one
                // write) serves them: without this, requests woken together (a group commit's callers)
                // each woke the flusher ahead of the others and batches held ~1.3 events. While the flag
                // is still set, recording requests queue their events without unparking the flusher.
                Thread.yield();
            }
            scheduled.set(false);
            writing.lock();
            try {
                writeQueued();
            } catch (Throwable e) {
                // never let the flusher die: requests would wait until the timeout from then on
                logQuietly(System.Logger.Level.ERROR, "Audit flusher failed", e);
            } finally {
                writing.unlock();
            }
            if (closed && queue.isEmpty()) {
                return;
            }
        }
    }

    /** Under {@link #writing}: writes queued events in batches until the queue is empty. */
    private void writeQueued() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            boolean recorded = false;
            try {
                Pending next;
                while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                    if (next.move(PENDING, CLAIMED)) {
                        batch.add(next);
                    }
                }
                if (batch.isEmpty()) {
                    return;
                }
                recorded = writeBatch(batch);
            } catch (Throwable e) {
                // an Error from a sink must not leave callers waiting
                logQuietly(System.Logger.Level.ERROR, "Audit write failed", e);
            } finally {
                for (Pending p : batch) {
                    p.finish(recorded);
                }
            }
            batch.clear();
        }
    }

    private static void logQuietly(System.Logger.Level level, String message, Throwable e) {
        try {
            LOG.log(level, message, e);
        } catch (Throwable ignored) {
            // a failing logger must not stop the audit threads
        }
    }

    /**
     * The watchdog, every period: refuses requests past their deadline (an event still queued is
     * withdrawn, one being written is marked expired), and writes queued events itself when the oldest
     * has waited a whole period without the flusher taking it (the flusher is a virtual thread: it could
     * be starved of carriers, e.g. by callers pinned on JDK 21-23). It ends once the broker is closed and
     * no request waits.
     */
    private void watchLoop() {
        while (!closed || !waiting.isEmpty()) {
            LockSupport.parkNanos(this, periodNanos);
            try {
                watch();
            } catch (Throwable e) {
                logQuietly(System.Logger.Level.ERROR, "Audit watchdog failed", e);
            }
        }
    }

    private void watch() {
        long now = System.nanoTime();
        Pending head = queue.peek();
        long queuedAt = head == null ? now : head.deadline - timeoutNanos;
        if (!closed && now - queuedAt >= periodNanos && writing.tryLock()) {
            try {
                writeQueued();
            } finally {
                writing.unlock();
            }
        }
        expire(now, false);
    }

    /** Refuses every waiting request whose deadline is at or before {@code now}, or all of them. */
    private void expire(long now, boolean all) {
        boolean withdrew = false;
        for (Pending p : waiting) {
            if (!all && now - p.deadline < 0) {
                continue;
            }
            if (p.move(PENDING, WITHDRAWN)) {
                withdrew = true;
            } else if (p.state() == CLAIMED) {
                p.expired = true;
            }
            LockSupport.unpark(p.waiter);
        }
        if (withdrew) {
            queue.removeIf(p -> p.state() == WITHDRAWN);
        }
    }

    /**
     * Makes every event recorded from now on carry its sensitive fields as HMACs (see
     * {@link SensitiveFields}); set once when the node starts, before it serves.
     */
    public void sensitiveFields(SensitiveFields fields) {
        this.sensitive = fields;
    }

    /** The hashing of sensitive fields, or null when fields are recorded in clear. */
    public SensitiveFields sensitiveFields() {
        return sensitive;
    }

    /**
     * How many events the calling thread has handed to {@link #record} (recorded or not). Compared before
     * and after a request's handling, it tells the HTTP layer a request refused before any operation ran
     * (bad JSON, an unknown field, a bad query parameter) from one whose operation recorded its outcome.
     */
    public long handedInOnThisThread() {
        return handedIn.get()[0];
    }

    /** Records an event or throws {@code AUDIT_UNAVAILABLE} (fail closed). */
    public void recordOrFail(AuditEvent event) {
        if (!record(event)) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused because no audit sink "
                    + "could record it");
        }
    }

    /**
     * Queries the first sink that can answer queries; filters the sink does not apply itself (an older
     * plugin) are applied here, see {@link FilteredQuery}.
     */
    public Page<AuditEvent> query(AuditQuery query) {
        return FilteredQuery.run(queryable.orElseThrow(() -> new VaultException(ErrorCode.UNAVAILABLE, "no "
                + "configured audit sink can answer queries (configure one such as type: file)")), query);
    }

    private boolean writeBatch(List<Pending> batch) {
        List<AuditEvent> events = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            events.add(p.event);
        }
        Tracer tracer = Tracing.tracer();
        if (tracer == null) {
            return writeToSinks(events); // untraced (the common case)
        }
        List<SpanContext> origins = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            origins.add(p.origin);
        }
        return Tracing.auditBatch(tracer, origins, () -> writeToSinks(events));
    }

    private boolean writeToSinks(List<AuditEvent> events) {
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

    /**
     * Refuses new events, writes what is queued and stops the broker's threads. Waits up to the timeout
     * for a batch in progress (a sink that blocks longer is left behind with a warning). Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(flusher);
        LockSupport.unpark(watchdog);
        try {
            if (flusher.isAlive() && !flusher.join(Duration.ofNanos(timeoutNanos))) {
                LOG.log(System.Logger.Level.WARNING, "Audit flusher still writing after the timeout; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whatever still waits (behind a sink that blocks) is refused now rather than at the watchdog's next
        // pass, so once close() returns no queued event can reach the sinks the node is about to close.
        expire(System.nanoTime(), true);
    }
}
