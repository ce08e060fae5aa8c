package dev.animavault.spi.audit;

import dev.animavault.spi.Page;
import java.util.Set;

/**
 * An optional capability: an audit sink that can answer queries. Core serves
 * {@code GET /v1/vault/audit/logs} and compliance reports from the first configured sink with this
 * capability. Thread-safe: {@link #query} runs concurrently with {@link #write} and with other queries.
 */
public interface QueryableAuditSink extends AuditSink {

    /**
     * Events matching the query, newest first. Sees every event whose {@code write} returned. Applies
     * every filter {@link #supportedFilters()} names; core never passes the others (it removes them from
     * the query and applies them to the answer itself).
     */
    Page<AuditEvent> query(AuditQuery query);

    /**
     * The filters {@link #query} applies. The default is {@link AuditQuery.Filter#ORIGINAL} (identity,
     * action, time range), which is what a sink written before the secret key, actor and outcome filters
     * existed knows: for such a sink core asks with the filters it knows, drops the events that fail the
     * others, and may then answer a page with fewer events than its limit (still with a next cursor when
     * the sink has more). Sinks that apply every filter return {@link AuditQuery.Filter#ALL}, so the
     * filtering happens where the index is. Must be constant for the sink's life; called any time.
     */
    default Set<AuditQuery.Filter> supportedFilters() {
        return AuditQuery.Filter.ORIGINAL;
    }
}
