package dev.animavault.spi.audit;

import dev.animavault.spi.Page;

/**
 * An optional capability: an audit sink that can answer queries. Core serves
 * {@code GET /v1/vault/audit/logs} from the first configured sink with this capability. Thread-safe.
 */
public interface QueryableAuditSink extends AuditSink {

    /** Events matching the query, newest first. Sees every event whose {@code write} returned. */
    Page<AuditEvent> query(AuditQuery query);
}
