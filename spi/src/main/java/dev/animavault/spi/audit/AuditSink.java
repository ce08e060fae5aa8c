package dev.animavault.spi.audit;

import java.util.List;

/**
 * A destination for audit events. Core's broker calls {@link #write} from one writer thread at a time
 * per sink, with batches of events that arrived together (group commit); implementations need not be
 * thread-safe for concurrent writes but must tolerate {@link #close()} from another thread.
 *
 * <p>Lifecycle: created at startup, {@link #probe()}d once before the vault serves requests, then
 * written to until closed; {@link #health()} may be asked at any time in between.
 */
public interface AuditSink extends AutoCloseable {

    /**
     * Checks that the sink can record events (e.g. writes a probe record or checks the destination is
     * writable). Called once at startup; a failure stops startup.
     *
     * @throws dev.animavault.spi.VaultException {@code AUDIT_UNAVAILABLE} with a message that says why
     */
    void probe();

    /**
     * Records events, in order. When this returns without throwing, the events are recorded as durably
     * as the sink promises (documented per sink). If it throws, core treats the whole batch as not
     * recorded by this sink.
     *
     * @throws dev.animavault.spi.VaultException {@code AUDIT_UNAVAILABLE}
     */
    void write(List<AuditEvent> events);

    /**
     * The sink's state now, for the vault's health endpoint: whether it would record events (and whether
     * it soon will not). Called from any thread, concurrently with {@link #write}, at most about once a
     * second; it must be cheap and must not block behind a write in progress (answer from state the sink
     * keeps, e.g. what its last write or a periodic check found). Changes nothing.
     *
     * <p>The default calls {@link #probe()} ({@code OK} when it returns, {@code UNAVAILABLE} when it
     * throws, with a generic detail); override it when {@code probe} is expensive or writes.
     */
    default AuditSinkHealth health() {
        try {
            probe();
            return AuditSinkHealth.ok();
        } catch (RuntimeException e) {
            return AuditSinkHealth.unavailable("the sink's probe failed");
        }
    }

    /** Flushes and releases resources. Idempotent. */
    @Override
    void close();
}
