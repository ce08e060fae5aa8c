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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands every audit event to all configured sinks and tells the caller whether at least one recorded
 * it, so that an operation on a secret can fail closed.
 *
 * <p>Group commit: requests enqueue their event and wait; one writer thread drains everything queued
 * and writes it to each sink as one batch. Under load a batch holds many events, so the sinks' cost
 * (a write, a flush, maybe an fsync) is shared. Thread-safe.
 */
public final class AuditBroker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuditBroker.class.getName());
    private static final int MAX_BATCH = 1024;

    private record Pending(AuditEvent event, CompletableFuture<Boolean> done) {
    }

    private final List<AuditSink> sinks;
    private final Optional<QueryableAuditSink> queryable;
    private final Duration timeout;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>(100_000);
    private final Thread writer;
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
        this.timeout = Objects.requireNonNull(timeout, "timeout is null");
        byte[] tag = new byte[3];
        new SecureRandom().nextBytes(tag);
        this.nodeTag = HexFormat.of().formatHex(tag);
        this.writer = Thread.ofPlatform().name("audit-writer").daemon(true).unstarted(this::run);
        this.writer.start();
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
     * @return true if at least one sink recorded it; false if none did within the timeout
     */
    public boolean record(AuditEvent event) {
        Objects.requireNonNull(event, "event is null");
        if (closed) {
            return false;
        }
        Pending p = new Pending(event, new CompletableFuture<>());
        if (!queue.offer(p)) {
            LOG.log(System.Logger.Level.WARNING, "Audit queue full; refusing event {0}", event.id());
            return false;
        }
        try {
            return p.done().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "Audit event {0} not recorded in time", event.id());
            return false;
        }
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

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                writeBatch(batch);
            } catch (InterruptedException e) {
                if (closed) {
                    break;
                }
            } catch (Throwable e) {
                // an Error from a sink must not end the writer: every later request would wait and fail
                LOG.log(System.Logger.Level.ERROR, "Audit writer failed", e);
            } finally {
                batch.forEach(p -> p.done().complete(false));
                batch.clear();
            }
        }
        queue.forEach(p -> p.done().complete(false));
    }

    private void writeBatch(List<Pending> batch) {
        List<AuditEvent> events = batch.stream().map(Pending::event).toList();
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
        boolean recorded = any;
        batch.forEach(p -> p.done().complete(recorded));
    }

    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
