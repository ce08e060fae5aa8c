package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rollover by size and by day: segment names, the chain across segments, persisted indexes, recovery. */
class FileAuditSinkRolloverTest {
    private static final String ORG = "org_a";

    @TempDir
    Path dir;

    private final AuditTestEvents events = new AuditTestEvents();

    private Path file() {
        return dir.resolve("audit.jsonl");
    }

    private FileAuditSink open(long rolloverBytes, boolean daily) {
        return FileAuditSink.open(new FileAuditSinkConfig(file(), false, true, Duration.ZERO, 0, Duration.ZERO,
                rolloverBytes, daily));
    }

    private List<AuditEvent> write(FileAuditSink sink, int count, long firstSecond) {
        return TrailPages.write(events, sink, ORG, count, firstSecond);
    }

    private static List<AuditEvent> all(FileAuditSink sink, Optional<String> identity, int pageSize) {
        return TrailPages.all(sink, ORG, identity, pageSize);
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String sha256(String line) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void rollsOverBySizeKeepsTheChainAndAnswersAcrossSegmentsAndRestarts() throws Exception {
        List<AuditEvent> written = new ArrayList<>();
        FileAuditSink sink = open(4_000, false);
        for (int b = 0; b < 12; b++) {
            written.addAll(write(sink, 5, b * 10L));
        }
        assertTrue(FileAuditSinkTestAccess.activeSegment(sink) > 3, "rolled over: " + names());
        String head = sink.headHash();
        List<AuditEvent> newestFirst = new ArrayList<>(written);
        Collections.reverse(newestFirst);
        assertEquals(newestFirst, all(sink, Optional.empty(), 7));
        List<AuditEvent> agent1 = newestFirst.stream().filter(e -> "agent_1".equals(e.identityId())).toList();
        assertEquals(agent1, all(sink, Optional.of("agent_1"), 3));
        sink.close();

        List<String> names = names();
        assertTrue(names.contains("audit.000001.jsonl") && names.contains("audit.000001.jsonl.idx")
                && names.contains("audit.000001.jsonl.checkpoints") && names.contains("audit.jsonl.idx"), names.toString());
        // segment 2's first line chains to segment 1's last line
        List<String> one = Files.readAllLines(dir.resolve("audit.000001.jsonl"));
        List<String> two = Files.readAllLines(dir.resolve("audit.000002.jsonl"));
        assertTrue(two.get(0).endsWith("\"prev\":\"" + sha256(one.get(one.size() - 1)) + "\"}"));
        List<String> cps = Files.readAllLines(dir.resolve("audit.000001.jsonl.checkpoints"));
        assertTrue(cps.get(cps.size() - 1).contains("\"kind\":\"rollover\"") && cps.get(0).contains("\"segment\":1,"), cps.toString());
        assertEquals(-1, AuditHashChain.verify(dir.resolve("audit.000001.jsonl")));

        FileAuditSink reopened = open(4_000, false);
        assertEquals(head, reopened.headHash());
        assertEquals(60, reopened.size());
        assertEquals(newestFirst, all(reopened, Optional.empty(), 100));
        written.addAll(write(reopened, 3, 1000));
        assertEquals(written.get(written.size() - 1), all(reopened, Optional.empty(), 1).get(0));
        reopened.close();
    }

    /**
     * The open segment's in-memory index gives its chunks to the next segment's once the sealed, mapped index
     * written after the rollover has replaced it (dropped, they waited minutes under a read load for an
     * old-generation collection), and queries keep answering from the mapped index.
     */
    @Test
    void aRolloverHandsTheOpenSegmentsChunksToTheNextSegment() {
        FileAuditSink sink = open(3_000, false);
        List<AuditEvent> written = new ArrayList<>(write(sink, 5, 0));
        AuditIndex grown = FileAuditSinkTestAccess.activeIndex(sink);
        assertFalse(grown.recycled());
        for (int b = 1; b < 10 && FileAuditSinkTestAccess.activeSegment(sink) == 1; b++) {
            written.addAll(write(sink, 5, b * 10L));
        }
        assertTrue(FileAuditSinkTestAccess.activeSegment(sink) > 1, "rolled over");
        FileAuditSinkTestAccess.finishSealedIndex(sink); // the sealed index file is written after the rollover, then replaces the grown one
        assertTrue(grown.recycled(), "the replaced index's chunks were recycled");
        assertFalse(FileAuditSinkTestAccess.activeIndex(sink).recycled());
        List<AuditEvent> newestFirst = new ArrayList<>(written);
        Collections.reverse(newestFirst);
        assertEquals(newestFirst, all(sink, Optional.empty(), 4));
        sink.close();
    }

    @Test
    void aCursorFromBeforeARolloverStaysValid() {
        FileAuditSink sink = open(3_000, false);
        write(sink, 10, 0);
        var page = sink.query(new AuditQuery(ORG, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.first(4)));
        for (int b = 0; b < 10; b++) {
            write(sink, 5, 100 + b * 10L);
        }
        assertTrue(FileAuditSinkTestAccess.activeSegment(sink) > 1);
        var next = sink.query(new AuditQuery(ORG, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.after(4, page.nextCursor().orElseThrow())));
        assertEquals(page.items().get(3).timestamp().minusSeconds(1), next.items().get(0).timestamp());
        sink.close();
    }

    @Test
    void rollsOverOnANewUtcDay() throws IOException {
        FileAuditSink sink = open(0, true);
        write(sink, 3, 0);
        write(sink, 3, 3600);
        assertEquals(1, FileAuditSinkTestAccess.activeSegment(sink));
        write(sink, 3, 86_400);
        assertEquals(2, FileAuditSinkTestAccess.activeSegment(sink));
        sink.close();
        assertEquals(6, Files.readAllLines(dir.resolve("audit.000001.jsonl")).size());
        assertEquals(3, Files.readAllLines(file()).size());
    }

    @Test
    void aCrashBetweenTheRenamesOfARolloverIsFinishedAtOpen() throws IOException {
        FileAuditSink sink = open(0, false);
        write(sink, 4, 0);
        sink.close();
        // as if the checkpoints were renamed and the process died before the file was
        Files.move(dir.resolve("audit.jsonl.checkpoints"), dir.resolve("audit.000001.jsonl.checkpoints"));
        Files.delete(dir.resolve("audit.jsonl.idx"));
        FileAuditSink reopened = open(0, false);
        assertEquals(2, FileAuditSinkTestAccess.activeSegment(reopened));
        assertEquals(4, reopened.size());
        write(reopened, 2, 100);
        assertEquals(6, all(reopened, Optional.empty(), 100).size());
        reopened.close();
        assertTrue(Files.exists(dir.resolve("audit.000001.jsonl")));
    }

    @Test
    void anEditOfTheSameLengthIsCaughtAtOpenDespiteThePersistedIndex() throws IOException {
        FileAuditSink sink = open(0, false);
        write(sink, 5, 0);
        sink.close();
        assertTrue(Files.exists(dir.resolve("audit.jsonl.idx")));
        String text = Files.readString(file());
        Files.writeString(file(), text.replaceFirst("\"agent_0\"", "\"agent_9\""));
        VaultException e = assertThrows(VaultException.class, () -> open(0, false));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aCleanCloseRecordsACrc32cOfTheOpenSegmentAndAnOlderSha256IndexStillOpens() throws Exception {
        FileAuditSink sink = open(0, false);
        List<AuditEvent> written = write(sink, 5, 0);
        sink.close();
        Path idx = dir.resolve("audit.jsonl.idx");
        AuditIndexFile.Header header = AuditIndexFile.readHeader(idx).orElseThrow();
        byte[] bytes = Files.readAllBytes(file());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, (int) header.end());
        java.nio.ByteBuffer check = java.nio.ByteBuffer.wrap(header.digest());
        assertEquals("CRC32C", new String(header.digest(), 0, 6, StandardCharsets.US_ASCII));
        assertEquals(crc.getValue(), check.getLong(8));
        assertEquals(header.end(), check.getLong(16));

        // an index written by an earlier version holds the SHA-256 of the covered bytes: the open walks the chain
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(bytes, (int) header.end()));
        byte[] raw = Files.readAllBytes(idx);
        System.arraycopy(sha, 0, raw, 64, 32);
        Files.write(idx, raw);
        FileAuditSink reopened = open(0, false);
        assertEquals(written.size(), all(reopened, Optional.empty(), 100).size());
        write(reopened, 1, 100);
        reopened.close();
        assertEquals("CRC32C", new String(AuditIndexFile.readHeader(idx).orElseThrow().digest(), 0, 6,
                StandardCharsets.US_ASCII));
    }

    @Test
    void aDeletedMiddleSegmentIsRefusedAtOpen() throws IOException {
        FileAuditSink sink = open(2_000, false);
        for (int b = 0; b < 10; b++) {
            write(sink, 5, b * 10L);
        }
        assertTrue(FileAuditSinkTestAccess.activeSegment(sink) > 3);
        sink.close();
        Files.delete(dir.resolve("audit.000002.jsonl"));
        VaultException e = assertThrows(VaultException.class, () -> open(2_000, false));
        assertTrue(e.getMessage().contains("audit.000003.jsonl"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("audit.000002.jsonl")));
    }
}
