package dev.animavault.spi.audit;

import java.util.List;

/**
 * A destination for audit events. Core's broker calls {@link #write} from one writer thread at a time
 * per sink, with batches of events that arrived together (group commit); implementations need not be
 * thread-safe for concurrent writes but must tolerate {@link #close()} from another thread.
 *
 * <p>Lifecycle: created at startup, {@link #probe()}d once before the vault serves requests, then
 * written to until closed.
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

    /** Flushes and releases resources. Idempotent. */
    @Override
    void close();
}
