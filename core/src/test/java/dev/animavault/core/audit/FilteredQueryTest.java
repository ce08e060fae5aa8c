package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A sink written against the first SPI (it knows identity, action and time filters only, and ignores the
 * rest of the query) still answers secret key, actor and outcome filters exactly through the broker, with
 * paging that returns every match once.
 */
class FilteredQueryTest {
    private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");

    /** Like a plugin built before the new filters: applies the original four, does not override supportedFilters. */
    static final class OldSpiSink implements QueryableAuditSink {
        final List<AuditEvent> events = new CopyOnWriteArrayList<>();
        final List<AuditQuery> asked = new CopyOnWriteArrayList<>();
        private final Set<AuditQuery.Filter> declared;

        OldSpiSink(Set<AuditQuery.Filter> declared) {
            this.declared = declared;
        }

        @Override
        public Set<AuditQuery.Filter> supportedFilters() {
            return declared == null ? QueryableAuditSink.super.supportedFilters() : declared;
        }

        @Override
        public Page<AuditEvent> query(AuditQuery q) {
            asked.add(q);
            List<AuditEvent> newestFirst = new ArrayList<>(events).reversed().stream()
                    .filter(e -> q.organizationId().equals(e.organizationId()))
                    .filter(e -> q.identityId().map(i -> i.equals(e.identityId())).orElse(true))
                    .filter(e -> q.action().map(a -> a.equals(e.action())).orElse(true))
                    .filter(e -> q.from().map(f -> !e.timestamp().isBefore(f)).orElse(true))
                    .filter(e -> q.to().map(t -> e.timestamp().isBefore(t)).orElse(true))
                    .toList();
            int start = q.page().cursor().map(Integer::parseInt).orElse(0);
            int end = Math.min(newestFirst.size(), start + q.page().limit());
            return new Page<>(newestFirst.subList(start, end),
                    end < newestFirst.size() ? Optional.of(Integer.toString(end)) : Optional.empty());
        }

        @Override
        public void probe() {
        }

        @Override
        public void write(List<AuditEvent> batch) {
            events.addAll(batch);
        }

        @Override
        public void close() {
        }
    }

    private static AuditEvent event(int i, String key, String actor, AuditOutcome outcome) {
        return new AuditEvent(String.format("ev_%05d", i), BASE.plusSeconds(i), "secret.read", outcome, "org_a",
                "agent_1", key, 1, actor, "req-" + i, null, outcome == AuditOutcome.DENIED ? "permission_denied" : null,
                Map.of());
    }

    private static AuditQuery query(PageRequest page, Optional<String> key, Optional<String> actor,
                                    Optional<AuditOutcome> outcome) {
        return new AuditQuery("org_a", Optional.empty(), Optional.of("secret.read"), Optional.empty(), Optional.empty(),
                page, key, actor, outcome);
    }

    @Test
    void newFiltersAreAppliedForASinkThatIgnoresThemAndEveryMatchIsPagedOnce() {
        OldSpiSink sink = new OldSpiSink(null);
        List<AuditEvent> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            AuditEvent e = event(i, i % 7 == 0 ? "K" : "OTHER", i % 2 == 0 ? "identity:agent_1/tok_a" : "apikey:ak_1",
                    i % 3 == 0 ? AuditOutcome.DENIED : AuditOutcome.SUCCESS);
            sink.events.add(e);
            if (e.secretKey().equals("K") && e.outcome() == AuditOutcome.DENIED) {
                expected.addFirst(e);
            }
        }
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5))) {
            for (int limit : List.of(1, 3, 5, 50, 1000)) {
                List<AuditEvent> seen = new ArrayList<>();
                Optional<String> cursor = Optional.empty();
                int requests = 0;
                do {
                    Page<AuditEvent> page = broker.query(query(new PageRequest(limit, cursor), Optional.of("K"),
                            Optional.empty(), Optional.of(AuditOutcome.DENIED)));
                    assertTrue(page.items().size() <= limit);
                    seen.addAll(page.items());
                    cursor = page.nextCursor();
                    assertTrue(++requests < 500, "paging ends");
                } while (cursor.isPresent());
                assertEquals(expected, seen, "limit " + limit);
            }
            // the sink was never handed a filter it does not declare
            assertTrue(sink.asked.stream().allMatch(q -> AuditQuery.Filter.ORIGINAL.containsAll(q.filters())));

            List<AuditEvent> byActor = broker.query(query(PageRequest.first(1000), Optional.empty(),
                    Optional.of("apikey:ak_1"), Optional.empty())).items();
            assertEquals(100, byActor.size());
            assertTrue(byActor.stream().allMatch(e -> e.actor().equals("apikey:ak_1")));
        }
    }

    @Test
    void aRareMatchCostsMoreRequestsNotAnUnboundedScan() {
        OldSpiSink sink = new OldSpiSink(null);
        int total = FilteredQuery.MAX_SINK_PAGES * 10 + 5;
        for (int i = 0; i < total; i++) {
            sink.events.add(event(i, i == 0 ? "RARE" : "OTHER", "apikey:ak_1", AuditOutcome.SUCCESS));
        }
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5))) {
            Page<AuditEvent> first = broker.query(query(PageRequest.first(10), Optional.of("RARE"), Optional.empty(),
                    Optional.empty()));
            assertEquals(List.of(), first.items());
            assertTrue(first.nextCursor().isPresent(), "more to read");
            assertEquals(FilteredQuery.MAX_SINK_PAGES, sink.asked.size());
            Page<AuditEvent> second = broker.query(query(new PageRequest(10, first.nextCursor()), Optional.of("RARE"),
                    Optional.empty(), Optional.empty()));
            assertEquals(List.of("ev_00000"), second.items().stream().map(AuditEvent::id).toList());
            assertTrue(second.nextCursor().isEmpty());
        }
    }

    @Test
    void aSinkDeclaringEveryFilterGetsTheQueryUnchanged() {
        OldSpiSink sink = new OldSpiSink(AuditQuery.Filter.ALL);
        sink.events.add(event(1, "K", "apikey:ak_1", AuditOutcome.SUCCESS));
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5))) {
            AuditQuery q = query(PageRequest.first(10), Optional.of("K"), Optional.of("apikey:ak_1"),
                    Optional.of(AuditOutcome.SUCCESS));
            broker.query(q);
            assertEquals(List.of(q), sink.asked);
        }
    }
}
