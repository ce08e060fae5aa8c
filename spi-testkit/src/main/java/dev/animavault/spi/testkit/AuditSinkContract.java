package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link AuditSink} shows. A plugin's test extends this class and implements
 * {@link #newSink()}; sinks that keep events across restarts also override {@link #supportsReopen()}
 * and {@link #reopen()}. Query tests run only when the sink is a {@link QueryableAuditSink}.
 *
 * <p>What is checked, and only what the SPI promises:
 * <ul>
 *   <li>{@code probe()} succeeds on a healthy sink; an empty batch is accepted.</li>
 *   <li>Every field of a written event comes back from a query exactly (null fields, empty and
 *       non-empty details, awkward characters); timestamps keep at least millisecond precision.</li>
 *   <li>Queries return events newest first (the reverse of write order, since events are written in
 *       time order as core does), honour every {@link AuditQuery} filter (organization isolation,
 *       identity, action, {@code from} inclusive, {@code to} exclusive) and paginate with opaque cursors:
 *       no page exceeds the limit, no event is repeated or skipped, and a cursor is not disturbed by
 *       newer events. A malformed cursor is refused with {@code INVALID_ARGUMENT}.</li>
 *   <li>Events written before a close are still there after a reopen, and writing continues.</li>
 *   <li>{@code write} after {@code close} fails with {@code AUDIT_UNAVAILABLE}; {@code close} is
 *       idempotent and may come from another thread while a write is in progress, without losing or
 *       tearing any acknowledged event.</li>
 *   <li>A queryable sink answers queries concurrently with the writer, and sees every event whose
 *       {@code write} returned.</li>
 * </ul>
 *
 * <p>JUnit creates a new instance per test method, so {@link #newSink()} may rely on fresh per-test
 * state such as a {@code @TempDir} field. Every sink the contract opens is closed after the test.
 */
public abstract class AuditSinkContract {
    private static final String ORG_A = "org_a";
    private static final String ORG_B = "org_b";

    /** Builds this test's events; ids increase with every event. */
    protected final AuditTestEvents events = new AuditTestEvents();

    private final List<AuditSink> opened = new CopyOnWriteArrayList<>();

    /**
     * A new sink over fresh, empty storage, ready for use (not yet probed). Called at most once per
     * test, before any {@link #reopen()}.
     */
    protected abstract AuditSink newSink();

    /** Whether {@link #reopen()} is implemented, i.e. the sink keeps events across a close. */
    protected boolean supportsReopen() {
        return false;
    }

    /**
     * A new sink over the same storage as the sink {@link #newSink()} returned, which the contract has
     * closed (as after a restart). Only called when {@link #supportsReopen()} is true.
     */
    protected AuditSink reopen() {
        throw new UnsupportedOperationException("this sink does not support reopen");
    }

    @AfterEach
    final void closeOpenedSinks() {
        for (AuditSink sink : opened) {
            sink.close();
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void probeSucceedsOnAHealthySink() {
        AuditSink sink = open();
        assertDoesNotThrow(sink::probe);
    }

    @Test
    void emptyBatchIsAccepted() {
        AuditSink sink = open();
        sink.probe();
        sink.write(List.of());
        if (sink instanceof QueryableAuditSink q) {
            assertEquals(List.of(), q.query(query(ORG_A)).items());
        }
    }

    @Test
    void writeAfterCloseFailsWithAuditUnavailable() {
        AuditSink sink = open();
        sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(1))));
        sink.close();
        VaultException e = assertThrows(VaultException.class,
                () -> sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(2)))));
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
        assertNotNull(e.getMessage());
    }

    @Test
    void healthSaysWhetherTheSinkRecords() {
        AuditSink sink = open();
        sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(1))));
        AuditSinkHealth open = sink.health();
        assertNotNull(open, "health()");
        // DEGRADED is allowed (e.g. a test machine low on disk); UNAVAILABLE is not
        assertTrue(open.state() != AuditSinkHealth.State.UNAVAILABLE, "health() of a working sink: " + open);
        sink.close();
        AuditSinkHealth closed = sink.health();
        assertEquals(AuditSinkHealth.State.UNAVAILABLE, closed.state(), "health() after close()");
        assertNotNull(closed.detail(), "health() after close() says why");
    }

    @Test
    void anAttemptOutcomeRoundTrips() {
        AuditSink sink = open();
        AuditEvent attempt = new AuditEvent("ev-attempt-1", at(1), "secret.create", AuditOutcome.ATTEMPT, ORG_A,
                "agent_1", "K", 1, "apikey:ak_test", "req-1", "192.0.2.10", null, Map.of());
        AuditEvent outcome = new AuditEvent("ev-attempt-2", at(1), "secret.create", AuditOutcome.SUCCESS, ORG_A,
                "agent_1", "K", 1, "apikey:ak_test", "req-1", "192.0.2.10", null, Map.of("attempt", "ev-attempt-1"));
        sink.write(List.of(attempt, outcome));
        if (sink instanceof QueryableAuditSink q) {
            assertEquals(List.of(outcome, attempt), q.query(query(ORG_A)).items());
        }
    }

    @Test
    void closeIsIdempotent() {
        AuditSink sink = open();
        sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(1))));
        sink.close();
        assertDoesNotThrow(sink::close);
    }

    // ------------------------------------------------------------------ round trip and order

    @Test
    void everyFieldRoundTrips() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = List.of(
                events.fullEvent(ORG_A, at(1)),
                events.sparseEvent(ORG_A, at(2)),
                events.event(ORG_A, "agent_1", "secret.create", at(3)),
                events.fullEvent(ORG_A, Instant.parse("2025-03-01T12:00:03.123Z")));
        sink.write(written);
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    @Test
    void queriesReturnNewestFirstAcrossBatches() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int batch = 0; batch < 4; batch++) {
            List<AuditEvent> b = new ArrayList<>();
            for (int i = 0; i < batch + 1; i++) {
                b.add(events.event(ORG_A, "agent_" + i, "secret.read", at(written.size() + b.size())));
            }
            sink.write(b);
            written.addAll(b);
        }
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    @Test
    void eventsWithTheSameTimestampKeepWriteOrder() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = List.of(
                events.event(ORG_A, "agent_1", "secret.read", at(5)),
                events.event(ORG_A, "agent_2", "secret.read", at(5)),
                events.event(ORG_A, "agent_3", "secret.read", at(5)));
        sink.write(written);
        assertEquals(reversed(written), sink.query(query(ORG_A)).items());
    }

    @Test
    void largeBatchIsRecordedWhole() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            written.add(events.event(ORG_A, "agent_" + (i % 7), "secret.read", at(i)));
        }
        sink.write(written);
        Page<AuditEvent> first = sink.query(query(ORG_A, PageRequest.MAX_LIMIT));
        assertEquals(reversed(written).subList(0, PageRequest.MAX_LIMIT), first.items());
        assertTrue(first.nextCursor().isPresent(), "a full first page of a longer result has a next cursor");
        assertEquals(reversed(written), queryAll(sink, ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.MAX_LIMIT));
    }

    // ------------------------------------------------------------------ filters

    @Test
    void organizationsAreIsolated() {
        QueryableAuditSink sink = openQueryable();
        AuditEvent a1 = events.event(ORG_A, "agent_1", "secret.read", at(1));
        AuditEvent b1 = events.event(ORG_B, "agent_1", "secret.read", at(2));
        AuditEvent none = events.event(null, null, "auth.denied", at(3));
        AuditEvent a2 = events.event(ORG_A, "agent_2", "secret.create", at(4));
        sink.write(List.of(a1, b1, none, a2));

        assertEquals(List.of(a2, a1), sink.query(query(ORG_A)).items());
        assertEquals(List.of(b1), sink.query(query(ORG_B)).items());
        assertEquals(List.of(), sink.query(query("org_c")).items());
        // The same identity id in another organization is another identity.
        assertEquals(List.of(b1), sink.query(new AuditQuery(ORG_B, Optional.of("agent_1"), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.first(100))).items());
    }

    @Test
    void identityAndActionFiltersAreExact() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = List.of(
                events.event(ORG_A, "agent_1", "secret.read", at(1)),
                events.event(ORG_A, "agent_12", "secret.read", at(2)),
                events.event(ORG_A, "agent_1", "secret.readx", at(3)),
                events.event(ORG_A, null, "secret.read", at(4)),
                events.event(ORG_A, "AGENT_1", "secret.read", at(5)),
                events.event(ORG_A, "agent_1", "secret.create", at(6)));
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

    @Test
    void secretKeyActorAndOutcomeFiltersAreExact() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        String[] keys = {"DB_PASSWORD", "db_password", null};
        String[] actors = {"identity:agent_1/tok_a", "apikey:ak_1", null};
        AuditOutcome[] outcomes = AuditOutcome.values();
        int t = 0;
        for (String key : keys) {
            for (String actor : actors) {
                for (AuditOutcome outcome : outcomes) {
                    AuditEvent base = events.event(ORG_A, "agent_1", "secret.read", at(++t));
                    written.add(new AuditEvent(base.id(), base.timestamp(), base.action(), outcome, ORG_A,
                            base.identityId(), key, 1, actor, "req-" + t, null,
                            outcome == AuditOutcome.DENIED ? "permission_denied" : null, Map.of()));
                }
            }
        }
        written.add(events.event(ORG_B, "agent_1", "secret.read", at(++t)));
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

    @Test
    void timeRangeIsFromInclusiveToExclusive() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            written.add(events.event(ORG_A, "agent_1", "secret.read", at(i)));
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

    @Test
    void everyFilterCombinationMatchesTheQuerySemantics() {
        QueryableAuditSink sink = openQueryable();
        String[] orgs = {ORG_A, ORG_B, null};
        String[] identities = {"agent_1", "agent_2", "agent_3", null};
        String[] actions = {"secret.read", "secret.create", "token.issue"};
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            // Deterministic spread: co-prime strides so every combination occurs.
            written.add(events.event(orgs[i % 3], identities[(i * 7) % 4], actions[(i * 5) % 3], at(i)));
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

    @Test
    void paginationVisitsEveryEventOnceWithinTheLimit() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 95; i++) {
            written.add(events.event(ORG_A, "agent_" + (i % 3), "secret.read", at(i)));
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

    @Test
    void aCursorIsNotDisturbedByNewerEvents() {
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            written.add(events.event(ORG_A, "agent_1", "secret.read", at(i)));
        }
        sink.write(written);
        Page<AuditEvent> first = sink.query(query(ORG_A, 10));
        assertEquals(reversed(written).subList(0, 10), first.items());
        String cursor = first.nextCursor().orElseThrow(() -> new AssertionError("no cursor after a full page"));

        sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(100)),
                events.event(ORG_A, "agent_1", "secret.read", at(101))));

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

    @Test
    void aMalformedCursorIsRefused() {
        QueryableAuditSink sink = openQueryable();
        sink.write(List.of(events.event(ORG_A, "agent_1", "secret.read", at(1))));
        VaultException e = assertThrows(VaultException.class, () -> sink.query(new AuditQuery(ORG_A,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.after(10, "not a cursor at all!"))));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
    }

    // ------------------------------------------------------------------ restart

    @Test
    void eventsSurviveReopenAndWritingContinues() {
        assumeTrue(supportsReopen(), "the sink does not keep events across a close");
        QueryableAuditSink sink = openQueryable();
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            written.add(events.event(i % 2 == 0 ? ORG_A : ORG_B, "agent_" + (i % 4), "secret.read", at(i)));
        }
        written.add(events.fullEvent(ORG_A, at(25)));
        written.add(events.sparseEvent(ORG_A, at(26)));
        sink.write(written.subList(0, 10));
        sink.write(written.subList(10, written.size()));
        sink.close();

        QueryableAuditSink again = reopenQueryable();
        again.probe();
        assertEquals(expectedFor(written, ORG_A), queryAll(again, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 7));

        for (int i = 0; i < 8; i++) {
            written.add(events.event(ORG_A, "agent_" + (i % 4), "secret.create", at(100 + i)));
        }
        again.write(written.subList(written.size() - 8, written.size()));
        assertEquals(expectedFor(written, ORG_A), queryAll(again, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 5));
        assertEquals(expectedFor(written, ORG_B), queryAll(again, ORG_B, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 5));
        again.close();

        QueryableAuditSink third = reopenQueryable();
        assertEquals(expectedFor(written, ORG_A), queryAll(third, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 100));
    }

    // ------------------------------------------------------------------ threads

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeFromAnotherThreadStopsTheWriterCleanly() throws Exception {
        AuditSink sink = open();
        AtomicInteger acknowledgedBatches = new AtomicInteger();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        List<List<AuditEvent>> batches = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(5);
        Thread writer = new Thread(() -> {
            AuditTestEvents own = new AuditTestEvents();
            try {
                for (int b = 0; b < 1_000_000; b++) {
                    List<AuditEvent> batch = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        batch.add(own.event(ORG_A, "agent_" + i, "secret.read", at(b * 10L + i)));
                    }
                    batches.add(batch);
                    sink.write(batch);
                    acknowledgedBatches.incrementAndGet();
                    started.countDown();
                }
                writerFailure.set(new AssertionError("the writer was never stopped by close()"));
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "audit-contract-writer");
        writer.start();
        assertTrue(started.await(30, TimeUnit.SECONDS), "the writer did not get going");
        sink.close();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(writer.isAlive(), "the writer is still running after close()");

        Throwable t = writerFailure.get();
        if (!(t instanceof VaultException ve) || ve.errorCode() != ErrorCode.AUDIT_UNAVAILABLE) {
            throw new AssertionError("a write after close must fail with AUDIT_UNAVAILABLE", t);
        }
        if (!supportsReopen()) {
            return;
        }
        AuditSink reopened = reopen();
        opened.add(reopened);
        if (!(reopened instanceof QueryableAuditSink q)) {
            return;
        }
        // Every acknowledged batch is there, whole; of the batch in flight at most a prefix, in order.
        List<AuditEvent> stored = reversed(queryAll(q, ORG_A, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), PageRequest.MAX_LIMIT));
        int acknowledged = acknowledgedBatches.get();
        List<AuditEvent> expectedPrefix = new ArrayList<>();
        batches.subList(0, acknowledged).forEach(expectedPrefix::addAll);
        assertTrue(stored.size() >= expectedPrefix.size(), "acknowledged events are missing after close");
        assertEquals(expectedPrefix, stored.subList(0, expectedPrefix.size()));
        List<AuditEvent> extra = stored.subList(expectedPrefix.size(), stored.size());
        if (!extra.isEmpty()) {
            assertTrue(batches.size() > acknowledged, "events that were never written appeared");
            List<AuditEvent> inFlight = batches.get(acknowledged);
            assertEquals(inFlight.subList(0, extra.size()), extra, "a partly recorded batch must be a prefix");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void queriesRunConcurrentlyWithTheWriterAndSeeAcknowledgedEvents() throws Exception {
        QueryableAuditSink sink = openQueryable();
        int batchCount = 150;
        int batchSize = 4;
        List<AuditEvent> written = new ArrayList<>();
        for (int i = 0; i < batchCount * batchSize; i++) {
            written.add(events.event(ORG_A, "agent_" + (i % 5), "secret.read", at(i)));
        }
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < written.size(); i++) {
            position.put(written.get(i).id(), i);
        }
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int b = 0; b < batchCount; b++) {
                    sink.write(written.subList(b * batchSize, (b + 1) * batchSize));
                    acknowledged.set((b + 1) * batchSize);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "audit-contract-writer");
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(new Thread(() -> {
                try {
                    while (acknowledged.get() < written.size() && failure.get() == null) {
                        int before = acknowledged.get();
                        List<AuditEvent> page = sink.query(query(ORG_A, 25)).items();
                        if (before == 0) {
                            continue;
                        }
                        assertFalse(page.isEmpty(), "acknowledged events are not visible");
                        int newest = position.get(page.get(0).id());
                        assertTrue(newest >= before - 1, "a query missed an acknowledged event");
                        for (int i = 0; i < page.size(); i++) {
                            assertEquals(written.get(newest - i), page.get(i), "results are torn or out of order");
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "audit-contract-reader-" + r));
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join();
        for (Thread reader : readers) {
            reader.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("concurrent write/query failed", failure.get());
        }
        assertEquals(reversed(written), queryAll(sink, ORG_A, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.MAX_LIMIT));
    }

    // ------------------------------------------------------------------ helpers

    /** Opens a sink through {@link #newSink()} and closes it after the test. */
    protected final AuditSink open() {
        AuditSink sink = newSink();
        assertNotNull(sink, "newSink() returned null");
        opened.add(sink);
        return sink;
    }

    private QueryableAuditSink openQueryable() {
        AuditSink sink = open();
        assumeTrue(sink instanceof QueryableAuditSink, "the sink cannot answer queries");
        return (QueryableAuditSink) sink;
    }

    private QueryableAuditSink reopenQueryable() {
        AuditSink sink = reopen();
        assertNotNull(sink, "reopen() returned null");
        opened.add(sink);
        assertTrue(sink instanceof QueryableAuditSink, "a reopened sink lost its query ability");
        return (QueryableAuditSink) sink;
    }

    private static AuditQuery query(String organizationId) {
        return query(organizationId, 100);
    }

    private static AuditQuery query(String organizationId, int limit) {
        return new AuditQuery(organizationId, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.first(limit));
    }

    private static List<AuditEvent> expectedFor(List<AuditEvent> written, String organizationId) {
        return reversed(written).stream().filter(e -> organizationId.equals(e.organizationId())).toList();
    }

    private static void assertFiltered(QueryableAuditSink sink, List<AuditEvent> written, AuditQuery q,
                                       int expectedCount) {
        List<AuditEvent> expected = reversed(written).stream().filter(q::matches).toList();
        assertEquals(expectedCount, expected.size(), "test data");
        assertEquals(expected, sink.query(q).items(), q.toString());
    }

    /**
     * Reads every page of a query, checking that no page exceeds the limit, that only the last page lacks
     * a cursor, that only the last page may be empty, and that no event appears twice.
     */
    private static List<AuditEvent> queryAll(QueryableAuditSink sink, String organizationId,
                                             Optional<String> identityId, Optional<String> action,
                                             Optional<Instant> from, Optional<Instant> to, int limit) {
        List<AuditEvent> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 0; ; pages++) {
            if (pages > 100_000) {
                fail("pagination does not terminate");
            }
            Page<AuditEvent> page = sink.query(new AuditQuery(organizationId, identityId, action, from, to,
                    new PageRequest(limit, cursor)));
            assertTrue(page.items().size() <= limit, "a page holds more than the limit of " + limit);
            for (AuditEvent e : page.items()) {
                assertTrue(seen.add(e.id()), "event " + e.id() + " returned twice");
            }
            all.addAll(page.items());
            if (page.nextCursor().isEmpty()) {
                return all;
            }
            assertFalse(page.items().isEmpty(), "an empty page must be the last page");
            cursor = page.nextCursor();
        }
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }
}
