package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sealed segment's index file is written after the rollover released the write lock ({@link SealedIndexWrites}):
 * writes and queries go on meanwhile, a close finishes it, a crash before it (no index file) and a failure of it
 * lose no event.
 */
class FileAuditSinkSealedIndexWriteTest {
    private static final String ORG = "org_a";
    private static final long ROLLOVER = 3_000;

    @TempDir
    Path dir;

    private final AuditTestEvents events = new AuditTestEvents();

    private FileAuditSink open(Path directory) {
        return FileAuditSink.open(new FileAuditSinkConfig(directory.resolve("audit.jsonl"), false, true, Duration.ZERO,
                0, Duration.ZERO, ROLLOVER, false));
    }

    private Path sealedIndex(Path directory) {
        return directory.resolve("audit.000001.jsonl.idx");
    }

    /** Writes batches of 5 until the first rollover (the batch that rolled over included); returns them in order. */
    private List<AuditEvent> writeUntilRollover(FileAuditSink sink) {
        List<AuditEvent> written = new ArrayList<>();
        for (int b = 0; b < 20 && FileAuditSinkTestAccess.activeSegment(sink) == 1; b++) {
            written.addAll(TrailPages.write(events, sink, ORG, 5, b * 10L));
        }
        assertEquals(2, FileAuditSinkTestAccess.activeSegment(sink), "rolled over once");
        return written;
    }

    private static List<AuditEvent> newestFirst(List<AuditEvent> written) {
        List<AuditEvent> l = new ArrayList<>(written);
        Collections.reverse(l);
        return l;
    }

    private static long lines(Path file) throws IOException {
        return Files.readAllLines(file).size();
    }

    /**
     * Holds the sink's background index writes on {@code gate}, writes until the first rollover and 2 events after
     * it; asserts the index file is still to be written. Returns the events in order.
     */
    private List<AuditEvent> rolledOverWithIndexHeld(FileAuditSink sink, CountDownLatch gate) {
        FileAuditSinkTestAccess.holdSealedIndexWrites(sink, gate);
        List<AuditEvent> written = new ArrayList<>(writeUntilRollover(sink));
        written.addAll(TrailPages.write(events, sink, ORG, 2, 1_000));
        assertEquals(2, FileAuditSinkTestAccess.activeSegment(sink), "no second rollover");
        assertTrue(FileAuditSinkTestAccess.sealedIndexPending(sink));
        return written;
    }

    /** Asserts that the first sealed segment's index file in {@code directory} covers the whole segment. */
    private void assertIndexFileCoversTheSealedSegment(Path directory) throws IOException {
        Path sealed = directory.resolve("audit.000001.jsonl");
        AuditIndexFile.Header h = AuditIndexFile.readHeader(sealedIndex(directory)).orElseThrow();
        assertEquals(1, h.segment());
        assertEquals(lines(sealed), h.lines());
        assertEquals(Files.size(sealed), h.end());
    }

    @Test
    void aRolloverReturnsBeforeTheIndexFileIsWrittenAndWritesAndQueriesGoOnMeanwhile() throws Exception {
        FileAuditSink sink = open(dir);
        CountDownLatch gate = new CountDownLatch(1);
        FileAuditSinkTestAccess.holdSealedIndexWrites(sink, gate);
        List<AuditEvent> written = new ArrayList<>(TrailPages.write(events, sink, ORG, 5, 0));
        AuditIndex grown = FileAuditSinkTestAccess.activeIndex(sink);
        written.addAll(writeUntilRollover(sink));
        assertTrue(FileAuditSinkTestAccess.sealedIndexPending(sink));
        assertFalse(Files.exists(sealedIndex(dir)), "the index file is written only once the gate opens");

        // a write after the rollover completes while the index file is still to be written
        written.addAll(TrailPages.write(events, sink, ORG, 2, 1_000));
        assertEquals(2, FileAuditSinkTestAccess.activeSegment(sink), "no second rollover");
        assertTrue(FileAuditSinkTestAccess.sealedIndexPending(sink));
        // queries of the sealed segment's events answer from its in-memory index, through cursors too
        assertEquals(newestFirst(written), TrailPages.all(sink, ORG, Optional.empty(), 3));
        List<AuditEvent> agent1 = newestFirst(written).stream().filter(e -> "agent_1".equals(e.identityId())).toList();
        assertEquals(agent1, TrailPages.all(sink, ORG, Optional.of("agent_1"), 2));
        assertEquals(written.size(), sink.size());
        assertFalse(grown.recycled(), "the in-memory index serves the sealed segment until its file is written");
        assertFalse(Files.exists(sealedIndex(dir)));

        gate.countDown();
        FileAuditSinkTestAccess.finishSealedIndex(sink);
        assertFalse(FileAuditSinkTestAccess.sealedIndexPending(sink));
        assertIndexFileCoversTheSealedSegment(dir);
        assertTrue(grown.recycled(), "the mapped index replaced the in-memory one, whose chunks went to the open one");
        assertEquals(newestFirst(written), TrailPages.all(sink, ORG, Optional.empty(), 4));
        sink.close();

        FileAuditSink reopened = open(dir);
        assertEquals(newestFirst(written), TrailPages.all(reopened, ORG, Optional.empty(), 100));
        reopened.close();
    }

    @Test
    void aCloseWhileTheIndexWriteIsPendingWritesItAndTheTrailReopens() throws Exception {
        FileAuditSink sink = open(dir);
        CountDownLatch gate = new CountDownLatch(1); // never opened: the close writes the index itself
        List<AuditEvent> written = rolledOverWithIndexHeld(sink, gate);
        sink.close();
        assertFalse(FileAuditSinkTestAccess.sealedIndexPending(sink));

        assertIndexFileCoversTheSealedSegment(dir);
        assertEquals(lines(dir.resolve("audit.000001.jsonl")),
                AuditIndexFile.read(sealedIndex(dir), true).orElseThrow().index().size());

        FileAuditSink reopened = open(dir);
        assertEquals(written.size(), reopened.size());
        assertEquals(newestFirst(written), TrailPages.all(reopened, ORG, Optional.empty(), 4));
        reopened.close();
        gate.countDown();
    }

    @Test
    void aCrashAfterTheSealBeforeTheIndexFileReopensWithEveryEventQueryable() throws Exception {
        FileAuditSink sink = open(dir);
        CountDownLatch gate = new CountDownLatch(1);
        List<AuditEvent> written = rolledOverWithIndexHeld(sink, gate);

        // the files as a crash now leaves them: the segment sealed, its index file not yet written
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, crashed.resolve(f.getFileName()));
            }
        }
        assertTrue(Files.exists(crashed.resolve("audit.000001.jsonl")));
        assertFalse(Files.exists(sealedIndex(crashed)));
        // and a torn temporary file from the interrupted write
        Files.write(crashed.resolve("audit.000001.jsonl.idx.tmp"), new byte[] {'A', 'V', 'I', 'D', 'X'});

        FileAuditSink reopened = open(crashed);
        assertEquals(written.size(), reopened.size());
        assertEquals(newestFirst(written), TrailPages.all(reopened, ORG, Optional.empty(), 4));
        assertEquals(lines(crashed.resolve("audit.000001.jsonl")),
                AuditIndexFile.readHeader(sealedIndex(crashed)).orElseThrow().lines(), "rebuilt at open");
        reopened.close();

        gate.countDown();
        sink.close();
    }

    @Test
    void aFailedIndexWriteLosesNoEventAndTheSinkGoesOn() throws Exception {
        FileAuditSink sink = open(dir);
        CountDownLatch gate = new CountDownLatch(1);
        FileAuditSinkTestAccess.holdSealedIndexWrites(sink, gate);
        List<AuditEvent> written = new ArrayList<>(writeUntilRollover(sink));
        // the temporary file cannot be created: a directory stands in its way
        Path blocker = Files.createDirectory(dir.resolve("audit.000001.jsonl.idx.tmp"));
        gate.countDown();
        FileAuditSinkTestAccess.finishSealedIndex(sink);
        assertFalse(Files.exists(sealedIndex(dir)));
        assertEquals(dev.animavault.spi.audit.AuditSinkHealth.State.OK, sink.health().state());

        written.addAll(TrailPages.write(events, sink, ORG, 3, 1_000));
        assertEquals(newestFirst(written), TrailPages.all(sink, ORG, Optional.empty(), 3));
        sink.close();
        Files.delete(blocker);

        FileAuditSink reopened = open(dir);
        assertEquals(newestFirst(written), TrailPages.all(reopened, ORG, Optional.empty(), 100));
        assertTrue(Files.exists(sealedIndex(dir)), "rebuilt at open");
        reopened.close();
    }
}
