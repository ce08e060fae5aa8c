package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.AuditContractSupport.ORG_A;
import static dev.animavault.spi.testkit.AuditContractSupport.ORG_B;
import static dev.animavault.spi.testkit.AuditContractSupport.assertFiltered;
import static dev.animavault.spi.testkit.AuditContractSupport.query;
import static dev.animavault.spi.testkit.AuditContractSupport.queryAll;
import static dev.animavault.spi.testkit.AuditContractSupport.reversed;
import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The query half of {@link AuditSinkContract}, run only against a {@link QueryableAuditSink}: every field
 * round-trips, newest first across batches, every {@link AuditQuery} filter, and cursor pagination (no page over
 * the limit, nothing repeated or skipped, cursors undisturbed by newer events, a malformed cursor refused). Each
 * method is one of the contract's tests; the contract's {@code @Test} method of the same name calls it.
 */
final class AuditQueryContract {
    private final AuditSinkContract contract;

    AuditQueryContract(AuditSinkContract contract) {
        this.contract = contract;
    }

    // ------------------------------------------------------------------ round trip and order

    void everyFieldRoundTrips() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = List.of(
                contract.events.fullEvent(ORG_A, at(1)),
                contract.events.sparseEvent(ORG_A, at(2)),
                contract.events.event(ORG_A, "agent_1", "secret.create", at(3)),
                contract.events.fullEvent(ORG_A, Instant.parse("2025-03-01T12:00:03.123Z")));
        sink.write(written);
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    void queriesReturnNewestFirstAcrossBatches() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int batch = 0; batch < 4; batch++) {
            List<AuditEvent> b = new ArrayList<>();
            for (int i = 0; i < batch + 1; i++) {
                b.add(contract.events.event(ORG_A, "agent_" + i, "secret.read", at(written.size() + b.size())));
            }
            sink.write(b);
            written.addAll(b);
        }
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    void eventsWithTheSameTimestampKeepWriteOrder() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = List.of(
                contract.events.event(ORG_A, "agent_1", "secret.read", at(5)),
                contract.events.event(ORG_A, "agent_2", "secret.read", at(5)),
                contract.events.event(ORG_A, "agent_3", "secret.read", at(5)));
        sink.write(written);
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    void largeBatchIsRecordedWhole() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            written.add(contract.events.event(ORG_A, "agent_" + (i % 7), "secret.read", at(i)));
        }
        sink.write(written);
        Page<AuditEvent> first = sink.query(query(ORG_A, PageRequest.MAX_LIMIT));
        assertEquals(reversed(written).subList(0, PageRequest.MAX_LIMIT), first.items());
        assertTrue(first.nextCursor().isPresent(), "a full first page of a longer result has a next cursor");
        assertEquals(reversed(written), queryAll(sink, ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.MAX_LIMIT));
    }

    // ------------------------------------------------------------------ filters

    void organizationsAreIsolated() {
        QueryableAuditSink sink = contract.openQueryable();
        AuditEvent a1 = contract.events.event(ORG_A, "agent_1", "secret.read", at(1));
        AuditEvent b1 = contract.events.event(ORG_B, "agent_1", "secret.read", at(2));
        AuditEvent none = contract.events.event(null, null, "auth.denied", at(3));
        AuditEvent a2 = contract.events.event(ORG_A, "agent_2", "secret.create", at(4));
        sink.write(List.of(a1, b1, none, a2));

        assertEquals(List.of(a2, a1), sink.query(query(ORG_A)).items());
        assertEquals(List.of(b1), sink.query(query(ORG_B)).items());
        assertEquals(List.of(), sink.query(query("org_c")).items());
        // The same identity id in another organization is another identity.
        assertEquals(List.of(b1), sink.query(new AuditQuery(ORG_B, Optional.of("agent_1"), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.first(100))).items());
    }

    void identityAndActionFiltersAreExact() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = List.of(
                contract.events.event(ORG_A, "agent_1", "secret.read", at(1)),
                contract.events.event(ORG_A, "agent_12", "secret.read", at(2)),
                contract.events.event(ORG_A, "agent_1", "secret.readx", at(3)),
                contract.events.event(ORG_A, null, "secret.read", at(4)),
                contract.events.event(ORG_A, "AGENT_1", "secret.read", at(5)),
                contract.events.event(ORG_A, "agent_1", "secret.create", at(6)));
        sink.write(written);

        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.of("agent_1"), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.first(100)), 3);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.of("secret.read"),
                Optional.empty(), Optional.empty(), PageRequest.first(100)), 4);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.of("agent_1"), Optional.of("secret.read"),
                Optional.empty(), Optional.empty(), PageRequest.first(100)), 1);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.of("agent_9"), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.first(100)), 0);
    }

    void secretKeyActorAndOutcomeFiltersAreExact() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        String[] keys = {"DB_PASSWORD", "db_password", null};
        String[] actors = {"identity:agent_1/tok_a", "apikey:ak_1", null};
        AuditOutcome[] outcomes = AuditOutcome.values();
        int t = 0;
        for (String key : keys) {
            for (String actor : actors) {
                for (AuditOutcome outcome : outcomes) {
                    AuditEvent base = contract.events.event(ORG_A, "agent_1", "secret.read", at(++t));
                    written.add(new AuditEvent(base.id(), base.timestamp(), base.action(), outcome, ORG_A,
                            base.identityId(), key, 1, actor, "req-" + t, null,
                            outcome == AuditOutcome.DENIED ? "permission_denied" : null, Map.of()));
                }
            }
        }
        written.add(contract.events.event(ORG_B, "agent_1", "secret.read", at(++t)));
        sink.write(written);
        PageRequest all = PageRequest.first(100);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), all, Optional.of("DB_PASSWORD"), Optional.empty(), Optional.empty()), 12);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), all, Optional.empty(), Optional.of("apikey:ak_1"), Optional.empty()), 12);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), all, Optional.empty(), Optional.empty(), Optional.of(AuditOutcome.DENIED)), 9);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.of("agent_1"), Optional.of("secret.read"),
                Optional.empty(), Optional.empty(), all, Optional.of("db_password"),
                Optional.of("identity:agent_1/tok_a"), Optional.of(AuditOutcome.ATTEMPT)), 1);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), all, Optional.of("NEVER_SEEN"), Optional.empty(), Optional.empty()), 0);
        assertFiltered(sink, written, new AuditQuery(ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), all, Optional.empty(), Optional.of("apikey:nobody"), Optional.empty()), 0);
    }

    void timeRangeIsFromInclusiveToExclusive() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            written.add(contract.events.event(ORG_A, "agent_1", "secret.read", at(i)));
        }
        sink.write(written);

        List<AuditEvent> range = sink.query(new AuditQuery(ORG_A, Optional.empty(), Optional.empty(),
                Optional.of(at(3)), Optional.of(at(7)), PageRequest.first(100))).items();
        assertEquals(reversed(written.subList(3, 7)), range);
        assertEquals(reversed(written.subList(8, 10)), sink.query(new AuditQuery(ORG_A, Optional.empty(),
                Optional.empty(), Optional.of(at(8)), Optional.empty(), PageRequest.first(100))).items());
        assertEquals(reversed(written.subList(0, 2)), sink.query(new AuditQuery(ORG_A, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(at(2)), PageRequest.first(100))).items());
        assertEquals(List.of(), sink.query(new AuditQuery(ORG_A, Optional.empty(), Optional.empty(),
                Optional.of(at(5)), Optional.of(at(5)), PageRequest.first(100))).items());
        // One millisecond either side of a boundary.
        assertEquals(List.of(written.get(3)), sink.query(new AuditQuery(ORG_A, Optional.empty(), Optional.empty(),
                Optional.of(at(3).minusMillis(1)), Optional.of(at(3).plusMillis(1)), PageRequest.first(100))).items());
    }

    void everyFilterCombinationMatchesTheQuerySemantics() {
        QueryableAuditSink sink = contract.openQueryable();
        String[] orgs = {ORG_A, ORG_B, null};
        String[] identities = {"agent_1", "agent_2", "agent_3", null};
        String[] actions = {"secret.read", "secret.create", "token.issue"};
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            // Deterministic spread: co-prime strides so every combination occurs.
            written.add(contract.events.event(orgs[i % 3], identities[(i * 7) % 4], actions[(i * 5) % 3], at(i)));
            if (written.size() % 17 == 0) {
                sink.write(List.copyOf(written.subList(written.size() - 17, written.size())));
            }
        }
        sink.write(List.copyOf(written.subList(written.size() - written.size() % 17, written.size())));

        List<Optional<String>> idFilters = List.of(Optional.empty(), Optional.of("agent_2"), Optional.of("nobody"));
        List<Optional<String>> actionFilters = List.of(Optional.empty(), Optional.of("secret.create"));
        List<Optional<Instant>> fromFilters = List.of(Optional.empty(), Optional.of(at(50)));
        List<Optional<Instant>> toFilters = List.of(Optional.empty(), Optional.of(at(200)));
        for (String org : List.of(ORG_A, ORG_B)) {
            for (Optional<String> identity : idFilters) {
                for (Optional<String> action : actionFilters) {
                    for (Optional<Instant> from : fromFilters) {
                        for (Optional<Instant> to : toFilters) {
                            AuditQuery q = new AuditQuery(org, identity, action, from, to, PageRequest.first(9));
                            List<AuditEvent> expected = reversed(written).stream().filter(q::matches).toList();
                            assertEquals(expected, queryAll(sink, org, identity, action, from, to, 9), q.toString());
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ pagination

    void paginationVisitsEveryEventOnceWithinTheLimit() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 95; i++) {
            written.add(contract.events.event(ORG_A, "agent_" + (i % 3), "secret.read", at(i)));
        }
        sink.write(written.subList(0, 40));
        sink.write(written.subList(40, 95));

        for (int limit : new int[] {1, 10, 19, 95, 100}) {
            assertEquals(reversed(written), queryAll(sink, ORG_A, Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), limit), "limit " + limit);
        }
        List<AuditEvent> agent1 = reversed(written).stream().filter(e -> "agent_1".equals(e.identityId())).toList();
        assertEquals(agent1, queryAll(sink, ORG_A, Optional.of("agent_1"), Optional.empty(), Optional.empty(),
                Optional.empty(), 4));
    }

    void aCursorIsNotDisturbedByNewerEvents() {
        QueryableAuditSink sink = contract.openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            written.add(contract.events.event(ORG_A, "agent_1", "secret.read", at(i)));
        }
        sink.write(written);
        Page<AuditEvent> first = sink.query(query(ORG_A, 10));
        assertEquals(reversed(written).subList(0, 10), first.items());
        String cursor = first.nextCursor().orElseThrow(() -> new AssertionError("no cursor after a full page"));

        sink.write(List.of(contract.events.event(ORG_A, "agent_1", "secret.read", at(100)),
                contract.events.event(ORG_A, "agent_1", "secret.read", at(101))));

        List<AuditEvent> rest = new ArrayList<>();
        Optional<String> next = Optional.of(cursor);
        while (next.isPresent()) {
            Page<AuditEvent> page = sink.query(new AuditQuery(ORG_A, Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), PageRequest.after(10, next.get())));
            rest.addAll(page.items());
            next = page.nextCursor();
        }
        assertEquals(reversed(written).subList(10, 30), rest);
    }

    void aMalformedCursorIsRefused() {
        QueryableAuditSink sink = contract.openQueryable();
        sink.write(List.of(contract.events.event(ORG_A, "agent_1", "secret.read", at(1))));
        VaultException e = assertThrows(VaultException.class, () -> sink.query(new AuditQuery(ORG_A,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.after(10, "not a cursor at all!"))));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
    }
}
