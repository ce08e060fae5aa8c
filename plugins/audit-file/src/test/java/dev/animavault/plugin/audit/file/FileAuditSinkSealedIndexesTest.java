package dev.animavault.plugin.audit.file;

import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.testkit.AuditTestEvents;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At most {@code loaded-sealed-indexes} sealed segments keep their index (and its dictionaries, on the heap)
 * loaded: queries that reach older segments load theirs and drop the least recently used, answers stay the same,
 * counting the events and opening the trail load none.
 */
class FileAuditSinkSealedIndexesTest {
    private static final String ORG = "org_a";
    private static final int BOUND = 2;

    @TempDir
    Path dir;

    private final AuditTestEvents events = new AuditTestEvents();

    private FileAuditSinkConfig config(int bound) {
        return new FileAuditSinkConfig(dir.resolve("audit.jsonl"), false, true, Duration.ZERO, 0, Duration.ZERO,
                3_000, false, bound);
    }

    /** Writes batches until the trail has at least {@code segments} sealed segments; returns them newest first. */
    private List<AuditEvent> fill(FileAuditSink sink, int segments) {
        List<AuditEvent> written = new ArrayList<>();
        for (int b = 0; FileAuditSinkTestAccess.activeSegment(sink) <= segments; b++) {
            List<AuditEvent> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                // one identity per segment-sized run, so that an identity's events lie in one or two segments
                batch.add(events.event(ORG, "agent_" + (b / 4), "secret.read", at(b * 10L + i)));
            }
            sink.write(batch);
            written.addAll(batch);
        }
        Collections.reverse(written);
        return written;
    }

    private static List<AuditEvent> all(FileAuditSink sink, Optional<String> identity, int pageSize) {
        return TrailPages.all(sink, ORG, identity, pageSize);
    }

    @Test
    void queriesOverEverySegmentKeepAtMostTheBoundLoadedAndAnswerTheSameAgain() {
        try (FileAuditSink sink = FileAuditSink.open(config(BOUND))) {
            List<AuditEvent> newestFirst = fill(sink, 6);
            assertTrue(FileAuditSinkTestAccess.loadedSealedIndexes(sink) <= BOUND, "rollovers keep the bound too");

            // every segment scanned, several times, by pages whose cursors point into dropped segments
            for (int round = 0; round < 3; round++) {
                assertEquals(newestFirst, all(sink, Optional.empty(), 7));
                assertTrue(FileAuditSinkTestAccess.loadedSealedIndexes(sink) <= BOUND, "loaded: " + FileAuditSinkTestAccess.loadedSealedIndexes(sink));
            }
            // a value no segment holds: every sealed segment's dictionaries consulted, still bounded
            assertEquals(List.of(), all(sink, Optional.of("nobody"), 10));
            assertEquals(BOUND, FileAuditSinkTestAccess.loadedSealedIndexes(sink));

            // one identity of an old segment, then of the newest: each answered from a (re)loaded index
            for (String identity : List.of("agent_0", "agent_1", "agent_0")) {
                List<AuditEvent> expected = newestFirst.stream().filter(e -> identity.equals(e.identityId())).toList();
                assertTrue(!expected.isEmpty());
                assertEquals(expected, all(sink, Optional.of(identity), 3));
            }
            assertEquals(newestFirst.size(), sink.size());
            assertEquals(BOUND, FileAuditSinkTestAccess.loadedSealedIndexes(sink));
        }
    }

    @Test
    void openingAndCountingLoadNoSealedIndexAndTheBackgroundLoadsOnlyTheNewest() throws Exception {
        int total;
        try (FileAuditSink sink = FileAuditSink.open(config(BOUND))) {
            total = fill(sink, 5).size();
        }
        try (FileAuditSink reopened = FileAuditSinkTestAccess.openDelayingPreload(config(BOUND), Duration.ofHours(1))) {
            assertEquals(total, reopened.size(), "counted from the index files' headers");
            assertEquals(0, FileAuditSinkTestAccess.loadedSealedIndexes(reopened), "nothing loaded to count");
        }
        try (FileAuditSink reopened = FileAuditSinkTestAccess.openDelayingPreload(config(BOUND), Duration.ZERO)) {
            // the background thread loads the newest sealed indexes, as many as stay loaded
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (FileAuditSinkTestAccess.loadedSealedIndexes(reopened) < BOUND && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(BOUND, FileAuditSinkTestAccess.loadedSealedIndexes(reopened));
            List<AuditEvent> newestFirst = all(reopened, Optional.empty(), 50);
            assertEquals(total, newestFirst.size());
            assertEquals(BOUND, FileAuditSinkTestAccess.loadedSealedIndexes(reopened));
        }
    }

    @Test
    void theBackgroundLoadWaitsForItsDelayAndACloseEndsTheWait() throws Exception {
        int total;
        try (FileAuditSink sink = FileAuditSink.open(config(BOUND))) {
            total = fill(sink, 5).size();
        }
        FileAuditSink reopened = FileAuditSinkTestAccess.openDelayingPreload(config(BOUND), Duration.ofHours(1));
        Thread loader = FileAuditSinkTestAccess.indexThread(reopened);
        assertTrue(loader != null, "sealed segments to load: a background thread");
        // nothing to parse (a clean close): the thread goes straight to the wait before loading
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (loader.getState() != Thread.State.TIMED_WAITING && loader.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(loader.isAlive(), "still waiting for the delay, not done loading");
        assertEquals(0, FileAuditSinkTestAccess.loadedSealedIndexes(reopened), "nothing loaded before the delay");
        // a query meanwhile loads what it needs itself
        assertEquals(total, all(reopened, Optional.empty(), 50).size());
        assertEquals(BOUND, FileAuditSinkTestAccess.loadedSealedIndexes(reopened));
        reopened.close();
        assertTrue(!loader.isAlive(), "the close ended the wait (it joins the thread for at most 5 s)");
    }

    @Test
    void theFactoryReadsTheSettingAndRefusesLessThanOne() {
        FileAuditSinkFactory factory = new FileAuditSinkFactory();
        assertTrue(factory.configProperties().stream()
                .anyMatch(p -> p.name().equals(FileAuditSinkFactory.LOADED_SEALED_INDEXES)));
        VaultException e = assertThrows(VaultException.class, () -> factory.create(
                ProviderConfig.of("file", Map.of(FileAuditSinkFactory.LOADED_SEALED_INDEXES, "0"), Set.of()),
                TestPluginContext.denyingEgress(dir)));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        try (var sink = (FileAuditSink) factory.create(
                ProviderConfig.of("file", Map.of(FileAuditSinkFactory.LOADED_SEALED_INDEXES, "3"), Set.of()),
                TestPluginContext.denyingEgress(dir))) {
            assertEquals(3, sink.config().loadedSealedIndexes());
        }
    }
}
