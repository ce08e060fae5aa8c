package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.AuditContractSupport.ORG_A;
import static dev.animavault.spi.testkit.AuditContractSupport.query;
import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
 *
 * <p><b>Parts.</b> The lifecycle tests live here; the query tests (round trip, order, filters, pagination) in
 * {@link AuditQueryContract} and the restart and thread tests in {@link AuditDurabilityContract}, each called by a
 * {@code @Test} method of this class of the same name, so they run and are reported as tests of the extending class.
 */
public abstract class AuditSinkContract {
    /** Builds this test's events; ids increase with every event. */
    protected final AuditTestEvents events = new AuditTestEvents();

    private final List<AuditSink> opened = new CopyOnWriteArrayList<>();
    private final AuditQueryContract queries = new AuditQueryContract(this);
    private final AuditDurabilityContract durability = new AuditDurabilityContract(this);

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

    // ------------------------------------------------------------------ queries (AuditQueryContract)

    @Test
    void everyFieldRoundTrips() {
        queries.everyFieldRoundTrips();
    }

    @Test
    void queriesReturnNewestFirstAcrossBatches() {
        queries.queriesReturnNewestFirstAcrossBatches();
    }

    @Test
    void eventsWithTheSameTimestampKeepWriteOrder() {
        queries.eventsWithTheSameTimestampKeepWriteOrder();
    }

    @Test
    void largeBatchIsRecordedWhole() {
        queries.largeBatchIsRecordedWhole();
    }

    @Test
    void organizationsAreIsolated() {
        queries.organizationsAreIsolated();
    }

    @Test
    void identityAndActionFiltersAreExact() {
        queries.identityAndActionFiltersAreExact();
    }

    @Test
    void secretKeyActorAndOutcomeFiltersAreExact() {
        queries.secretKeyActorAndOutcomeFiltersAreExact();
    }

    @Test
    void timeRangeIsFromInclusiveToExclusive() {
        queries.timeRangeIsFromInclusiveToExclusive();
    }

    @Test
    void everyFilterCombinationMatchesTheQuerySemantics() {
        queries.everyFilterCombinationMatchesTheQuerySemantics();
    }

    @Test
    void paginationVisitsEveryEventOnceWithinTheLimit() {
        queries.paginationVisitsEveryEventOnceWithinTheLimit();
    }

    @Test
    void aCursorIsNotDisturbedByNewerEvents() {
        queries.aCursorIsNotDisturbedByNewerEvents();
    }

    @Test
    void aMalformedCursorIsRefused() {
        queries.aMalformedCursorIsRefused();
    }

    // ------------------------------------------------------------------ restart, threads (AuditDurabilityContract)

    @Test
    void eventsSurviveReopenAndWritingContinues() {
        durability.eventsSurviveReopenAndWritingContinues();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeFromAnotherThreadStopsTheWriterCleanly() throws Exception {
        durability.closeFromAnotherThreadStopsTheWriterCleanly();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void queriesRunConcurrentlyWithTheWriterAndSeeAcknowledgedEvents() throws Exception {
        durability.queriesRunConcurrentlyWithTheWriterAndSeeAcknowledgedEvents();
    }

    // ------------------------------------------------------------------ helpers

    /** Opens a sink through {@link #newSink()} and closes it after the test. */
    protected final AuditSink open() {
        AuditSink sink = newSink();
        assertNotNull(sink, "newSink() returned null");
        opened.add(sink);
        return sink;
    }

    QueryableAuditSink openQueryable() {
        AuditSink sink = open();
        assumeTrue(sink instanceof QueryableAuditSink, "the sink cannot answer queries");
        return (QueryableAuditSink) sink;
    }

    QueryableAuditSink reopenQueryable() {
        AuditSink sink = reopen();
        assertNotNull(sink, "reopen() returned null");
        opened.add(sink);
        assertTrue(sink instanceof QueryableAuditSink, "a reopened sink lost its query ability");
        return (QueryableAuditSink) sink;
    }

    /** Closes {@code sink} after the test, with the sinks {@link #open()} returned. */
    void track(AuditSink sink) {
        opened.add(sink);
    }
}
