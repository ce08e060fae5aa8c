package dev.animavault.core.audit;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a query on a sink that may not apply every filter (one written before the secret key, actor and
 * outcome filters existed, see {@link QueryableAuditSink#supportedFilters()}): the sink is asked with the
 * filters it declares, and the events failing the others are dropped here.
 *
 * <p>Paging stays exact: sink pages of the requested size are consumed whole while their matches fit the
 * page, and the answer's cursor is the sink cursor of the first page not consumed, so every matching
 * event is returned once across pages. A page may hold fewer events than its limit (even none) while a
 * next cursor exists: one request reads at most {@value #MAX_SINK_PAGES} sink pages, so a filter that
 * matches rarely costs the client more requests instead of one unbounded scan. Stateless; thread-safe.
 */
final class FilteredQuery {
    static final int MAX_SINK_PAGES = 32;

    private FilteredQuery() {
    }

    static Page<AuditEvent> run(QueryableAuditSink sink, AuditQuery query) {
        Set<AuditQuery.Filter> supported = sink.supportedFilters();
        Set<AuditQuery.Filter> used = query.filters();
        EnumSet<AuditQuery.Filter> missing = used.isEmpty() ? EnumSet.noneOf(AuditQuery.Filter.class)
                : EnumSet.copyOf(used);
        missing.removeAll(supported);
        if (missing.isEmpty()) {
            return sink.query(query);
        }
        int limit = query.page().limit();
        Optional<String> cursor = query.page().cursor();
        List<AuditEvent> out = new ArrayList<>(limit);
        for (int pages = 0; pages < MAX_SINK_PAGES; pages++) {
            PageRequest request = new PageRequest(limit, cursor);
            Page<AuditEvent> page = sink.query(query.restrictedTo(supported, request));
            List<AuditEvent> matches = page.items().stream().filter(query::matches).toList();
            if (out.size() + matches.size() > limit) {
                // this sink page does not fit: the next request starts with it again
                return new Page<>(out, cursor);
            }
            out.addAll(matches);
            cursor = page.nextCursor();
            if (cursor.isEmpty() || out.size() == limit) {
                return new Page<>(out, cursor);
            }
        }
        return new Page<>(out, cursor);
    }
}
