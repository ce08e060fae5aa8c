package dev.animavault.plugin.audit.file;

import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSinkFactory;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** File-sink specifics: format, hash chain and tampering, crash recovery, restart, locking, config. */
class FileAuditSinkTest {
    private static final String ORG = "org_a";

    @TempDir
    Path dataDirectory;

    private final AuditTestEvents events = new AuditTestEvents();
    @RegisterExtension
    final OpenedSinks sinks = new OpenedSinks(() -> dataDirectory);

    private FileAuditSink open(Map<String, String> config) {
        return sinks.open(config);
    }

    private FileAuditSink open() {
        return open(Map.of());
    }

    private Path file() {
        return dataDirectory.resolve("audit/audit.jsonl");
    }

    private List<AuditEvent> write(FileAuditSink sink, int count, int firstSecond) {
        List<AuditEvent> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(events.event(ORG, "agent_" + (i % 3), "secret.read", at(firstSecond + i)));
        }
        sink.write(batch);
        return batch;
    }

    private static List<AuditEvent> all(FileAuditSink sink) {
        return sink.query(new AuditQuery(ORG, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.first(PageRequest.MAX_LIMIT))).items();
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    private static void writeLines(Path file, List<String> lines) throws IOException {
        Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ file and format

    // ------------------------------------------------------------------ background flush

    /** Flusher threads alive in this JVM (other test classes may leave sinks open: compare counts). */
    private static long flushers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("audit-file-flusher") && t.isAlive()).count();
    }

    @Test
    void forcesAppendedLinesInTheBackgroundOnlyWhenTheFileGrewAndStopsOnClose() throws Exception {
        long before = flushers();
        FileAuditSink sink = open(Map.of("flush-interval", "50ms"));
        assertEquals(before + 1, flushers());
        Thread.sleep(300);
        assertEquals(0, FileAuditSinkTestAccess.backgroundFlushes(sink), "nothing appended, nothing forced");
        write(sink, 3, 0);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (FileAuditSinkTestAccess.backgroundFlushes(sink) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, FileAuditSinkTestAccess.backgroundFlushes(sink), "one pass forced the appended lines");
        Thread.sleep(300);
        assertEquals(1, FileAuditSinkTestAccess.backgroundFlushes(sink), "no new lines, no new pass");
        sink.close();
        assertEquals(before, flushers(), "close stops the flusher");
        assertEquals(3, lines(file()).size());
    }

    /** Bytes the file occupies on disk ({@code st_blocks * 512}), read with {@code stat}. */
    static long allocated(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        assertEquals(0, p.waitFor(), String.join(" ", out));
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    @Test
    void reservesBlocksAheadWithoutChangingTheFileAndGivesThemBackOnClose() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && Runtime.version().feature() >= 22, "fallocate through the foreign function API: Linux, Java 22+");
        awaitPreallocatorMade(); // another test may have started the deferred making of the downcall handles
        FileAuditSink sink = open(Map.of("flush-interval", "0s"));
        write(sink, 5, 0);
        long size = Files.size(file());
        assertTrue(allocated(file()) >= FileAuditSinkTestAccess.RESERVE_AHEAD, "reserved: " + allocated(file()));
        assertEquals(5, lines(file()).size(), "the reservation adds nothing to the file's content");
        sink.close();
        assertEquals(size, Files.size(file()));
        assertTrue(allocated(file()) < 1 << 20, "given back on close: " + allocated(file()));
        FileAuditSink reopened = open(Map.of("flush-interval", "0s"));
        assertEquals(5, all(reopened).size());
    }

    private static void awaitPreallocatorMade() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
                PreallocatorStart.DEFERRAL_MILLIS + 10_000);
        while (!PreallocatorStart.SHARED.ready()) {
            assertTrue(System.nanoTime() < deadline, "the deferred downcall handles were never made");
            Thread.sleep(50);
        }
    }

    /** Issue 19: the factory's warm-up (a server start) defers the reservation; the sink reserves once it is due. */
    @Test
    void aServerStartDefersTheReservationAndTheBackgroundThreadReservesLater() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && Runtime.version().feature() >= 22, "fallocate through the foreign function API: Linux, Java 22+");
        new FileAuditSinkFactory().warmUp(null);
        FileAuditSink sink = open(Map.of());
        write(sink, 5, 0);
        awaitPreallocatorMade();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (allocated(file()) < FileAuditSinkTestAccess.RESERVE_AHEAD) { // the background thread tops up every second
            assertTrue(System.nanoTime() < deadline, "never reserved: " + allocated(file()));
            Thread.sleep(100);
        }
        long size = Files.size(file());
        sink.close();
        assertEquals(size, Files.size(file()));
        assertTrue(allocated(file()) < 1 << 20, "given back on close: " + allocated(file()));
    }

    @Test
    void noBackgroundFlushWithFsyncOrAZeroInterval() throws Exception {
        FileAuditSink synced = open(Map.of("fsync", "true"));
        FileAuditSink unflushed = open(Map.of("path", "other.jsonl", "flush-interval", "0s"));
        write(synced, 2, 0);
        write(unflushed, 2, 0);
        Thread.sleep(1500);
        assertEquals(0, FileAuditSinkTestAccess.backgroundFlushes(synced));
        assertEquals(0, FileAuditSinkTestAccess.backgroundFlushes(unflushed));
    }

    @Test
    void aNegativeFlushIntervalIsAConfigurationError() {
        VaultException e = assertThrows(VaultException.class, () -> open(Map.of("flush-interval", "PT-1S")));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("flush-interval"), e.getMessage());
    }

    @Test
    void createsTheFileOwnerOnlyUnderTheDataDirectory() throws IOException {
        open();
        assertTrue(Files.isRegularFile(file()));
        if (file().getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file().getParent())));
        }
    }

    @Test
    void writesOneJsonObjectPerLineWithTheDocumentedFields() throws IOException {
        FileAuditSink sink = open();
        AuditEvent full = events.fullEvent(ORG, Instant.parse("2025-03-01T12:00:00.123456789Z"));
        AuditEvent sparse = events.sparseEvent(ORG, at(1));
        sink.write(List.of(full, sparse));

        List<String> lines = lines(file());
        assertEquals(2, lines.size());
        assertEquals(List.of("id", "timestamp", "action", "outcome", "organizationId", "identityId", "secretKey",
                "version", "actor", "requestId", "remoteAddress", "errorCode", "details", "prev"), fieldNames(lines.get(0)));
        assertEquals(List.of("id", "timestamp", "action", "outcome", "organizationId", "prev"), fieldNames(lines.get(1)));
        assertTrue(lines.get(0).contains("\"timestamp\":\"2025-03-01T12:00:00.123456789Z\""), lines.get(0));
        assertTrue(lines.get(0).endsWith("\"prev\":\"" + AuditHashChain.GENESIS + "\"}"));
        assertTrue(lines.get(1).endsWith("\"prev\":\"" + sha256(lines.get(0)) + "\"}"));
        // Nanoseconds and awkward detail values survive.
        assertEquals(List.of(sparse, full), all(sink));
        assertEquals(sha256(lines.get(1)), sink.headHash());
    }

    @Test
    void aBatchIsAppendedWhole() throws IOException {
        FileAuditSink sink = open();
        write(sink, 3, 0);
        long before = Files.size(file());
        write(sink, 500, 10);
        assertEquals(503, lines(file()).size());
        assertTrue(Files.size(file()) > before);
        assertEquals(503, sink.size());
        assertEquals(-1, AuditHashChain.verify(file()));
    }

    // ------------------------------------------------------------------ hash chain

    @Test
    void anUntouchedFileVerifies() throws IOException {
        FileAuditSink sink = open();
        for (int b = 0; b < 5; b++) {
            write(sink, 7, b * 10);
        }
        assertEquals(-1, AuditHashChain.verify(file()));
        Path empty = Files.createFile(dataDirectory.resolve("empty.jsonl"));
        assertEquals(-1, AuditHashChain.verify(empty));
    }

    @Test
    void editingAMiddleLineIsDetected() throws IOException {
        FileAuditSink sink = open();
        write(sink, 10, 0);
        sink.close();
        List<String> lines = new ArrayList<>(lines(file()));
        lines.set(4, lines.get(4).replace("\"action\":\"secret.read\"", "\"action\":\"secret.list\""));
        writeLines(file(), lines);
        // Line 5 was edited; line 6 no longer chains to it.
        assertEquals(6, AuditHashChain.verify(file()));
        assertEquals(6, FileAuditSink.verify(file()));
    }

    @Test
    void deletingAMiddleLineIsDetected() throws IOException {
        FileAuditSink sink = open();
        write(sink, 10, 0);
        sink.close();
        List<String> lines = new ArrayList<>(lines(file()));
        lines.remove(3);
        writeLines(file(), lines);
        assertEquals(4, AuditHashChain.verify(file()));
    }

    @Test
    void reorderingOrInsertingLinesIsDetected() throws IOException {
        FileAuditSink sink = open();
        write(sink, 10, 0);
        sink.close();
        List<String> original = lines(file());

        List<String> swapped = new ArrayList<>(original);
        Collections.swap(swapped, 2, 3);
        writeLines(file(), swapped);
        assertEquals(3, AuditHashChain.verify(file()));

        List<String> inserted = new ArrayList<>(original);
        inserted.add(5, original.get(5).replace("agent_", "agent_x"));
        writeLines(file(), inserted);
        assertEquals(7, AuditHashChain.verify(file()));

        List<String> garbage = new ArrayList<>(original);
        garbage.set(0, "not json");
        writeLines(file(), garbage);
        assertEquals(1, AuditHashChain.verify(file()));
    }

    @Test
    void aTamperedFileIsRefusedAtOpenUnlessVerificationIsOff() throws IOException {
        FileAuditSink sink = open();
        List<AuditEvent> written = write(sink, 10, 0);
        sink.close();
        List<String> lines = new ArrayList<>(lines(file()));
        lines.remove(2);
        writeLines(file(), lines);

        VaultException refused = assertThrows(VaultException.class, this::open);
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, refused.errorCode());
        assertTrue(refused.getMessage().contains("line 3") && refused.getMessage().contains("'verify-on-open'"),
                refused.getMessage());

        FileAuditSink lenient = open(Map.of("verify-on-open", "false"));
        assertEquals(9, lenient.size());
        List<AuditEvent> more = write(lenient, 2, 100);
        List<AuditEvent> expected = new ArrayList<>(written);
        expected.remove(2);
        expected.addAll(more);
        Collections.reverse(expected);
        assertEquals(expected, all(lenient));
        // Still broken at the deletion, and only there: the new lines chain from the last line.
        assertEquals(3, AuditHashChain.verify(file()));
        lines = new ArrayList<>(lines(file()));
        assertTrue(lines.get(10).endsWith("\"prev\":\"" + sha256(lines.get(9)) + "\"}"));
    }

    @Test
    void aLineChangedUnderARunningSinkIsNeverServedToTheWrongOrganization() throws IOException {
        FileAuditSink sink = open();
        write(sink, 3, 0);
        byte[] bytes = Files.readAllBytes(file());
        String text = new String(bytes, StandardCharsets.UTF_8);
        int at = text.indexOf("\"organizationId\":\"org_a\"");
        try (var raf = new java.io.RandomAccessFile(file().toFile(), "rw")) {
            // Same length, so the index still points at whole lines: only the content moved to org_b.
            raf.seek(text.substring(0, at).getBytes(StandardCharsets.UTF_8).length);
            raf.write("\"organizationId\":\"org_b\"".getBytes(StandardCharsets.UTF_8));
        }
        VaultException e = assertThrows(VaultException.class, () -> all(sink));
        assertEquals(ErrorCode.INTEGRITY_ERROR, e.errorCode());
        assertEquals(2, AuditHashChain.verify(file()));
    }

    // ------------------------------------------------------------------ crash recovery and restart

    @Test
    void aTornLastLineIsSetAsideAndTheChainContinues() throws IOException {
        FileAuditSink sink = open();
        List<AuditEvent> written = new ArrayList<>(write(sink, 5, 0));
        sink.close();
        String complete = lines(file()).get(4);
        byte[] torn = complete.substring(0, complete.length() / 2).getBytes(StandardCharsets.UTF_8);
        Files.write(file(), torn, StandardOpenOption.APPEND);
        assertEquals(6, AuditHashChain.verify(file()), "an incomplete last line does not verify");

        FileAuditSink recovered = open();
        assertEquals(-1, AuditHashChain.verify(file()));
        try (Stream<Path> siblings = Files.list(file().getParent())) {
            List<Path> aside = siblings.filter(p -> p.getFileName().toString().startsWith("audit.jsonl.torn-")).toList();
            assertEquals(1, aside.size());
            assertEquals(new String(torn, StandardCharsets.UTF_8), Files.readString(aside.get(0)));
        }
        written.addAll(write(recovered, 3, 10));
        Collections.reverse(written);
        assertEquals(written, all(recovered));
        assertEquals(-1, AuditHashChain.verify(file()));
    }

    @Test
    void aZeroFilledTailFromPowerLossIsSetAside() throws IOException {
        FileAuditSink sink = open();
        write(sink, 4, 0);
        sink.close();
        Files.write(file(), new byte[4096], StandardOpenOption.APPEND);

        FileAuditSink recovered = open();
        assertEquals(4, recovered.size());
        write(recovered, 1, 10);
        assertEquals(-1, AuditHashChain.verify(file()));
    }

    @Test
    void restartFindsEarlierEventsAndContinuesTheChain() throws IOException {
        FileAuditSink first = open();
        List<AuditEvent> written = new ArrayList<>();
        for (int b = 0; b < 20; b++) {
            written.addAll(write(first, 50, b * 100));
        }
        String head = first.headHash();
        first.close();

        FileAuditSink second = open();
        assertEquals(head, second.headHash());
        assertEquals(1000, second.size());
        written.addAll(write(second, 5, 5000));
        second.close();

        FileAuditSink third = open();
        List<AuditEvent> agent1 = new ArrayList<>(written.stream().filter(e -> "agent_1".equals(e.identityId())).toList());
        Collections.reverse(agent1);
        List<AuditEvent> found = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            var page = third.query(new AuditQuery(ORG, Optional.of("agent_1"), Optional.empty(), Optional.empty(),
                    Optional.empty(), new PageRequest(100, cursor)));
            found.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        assertEquals(agent1, found);
        assertEquals(-1, AuditHashChain.verify(file()));
    }

    @Test
    void aCursorStaysValidAcrossARestart() {
        FileAuditSink first = open();
        write(first, 30, 0);
        var page = first.query(new AuditQuery(ORG, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.first(10)));
        String cursor = page.nextCursor().orElseThrow();
        first.close();

        FileAuditSink second = open();
        var next = second.query(new AuditQuery(ORG, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), PageRequest.after(10, cursor)));
        assertEquals(page.items().get(9).timestamp().minusSeconds(1), next.items().get(0).timestamp());
    }

    // ------------------------------------------------------------------ operations

    @Test
    void aSecondSinkOnTheSameFileIsRefused() {
        open();
        VaultException e = assertThrows(VaultException.class, this::open);
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }

    @Test
    void probeNoticesAMovedFile() throws IOException {
        FileAuditSink sink = open();
        sink.probe();
        Files.move(file(), file().resolveSibling("moved.jsonl"));
        Files.createFile(file());
        VaultException e = assertThrows(VaultException.class, sink::probe);
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
        Files.delete(file());
        assertThrows(VaultException.class, sink::probe);
    }

    @Test
    void queryAfterCloseFails() {
        FileAuditSink sink = open();
        write(sink, 1, 0);
        sink.close();
        VaultException e = assertThrows(VaultException.class, () -> all(sink));
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
    }

    @Test
    void aCursorForAnOffsetThatIsNoLineIsRefused() {
        FileAuditSink sink = open();
        write(sink, 3, 0);
        String notALine = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("o1:7".getBytes(StandardCharsets.US_ASCII));
        VaultException e = assertThrows(VaultException.class, () -> sink.query(new AuditQuery(ORG, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), PageRequest.after(5, notALine))));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.errorCode());
    }

    @Test
    void configurationIsDeclaredAndPrintable() {
        FileAuditSinkFactory factory = new FileAuditSinkFactory();
        assertEquals("file", factory.name());
        assertEquals(List.of("path", "fsync", "flush-interval", "min-free-space", "verify-on-open", "checkpoint-interval",
                        "rollover-size", "rollover-daily", "loaded-sealed-indexes"),
                factory.configProperties().stream().map(p -> p.name()).toList());
        assertFalse(factory.configProperties().stream().anyMatch(p -> p.sensitive()));
        FileAuditSink sink = open(Map.of("path", "elsewhere/a.log", "fsync", "true"));
        assertTrue(Files.isRegularFile(dataDirectory.resolve("elsewhere/a.log")));
        assertEquals("FileAuditSink[" + dataDirectory.resolve("elsewhere/a.log") + ", fsync=true, closed=false]",
                sink.toString());
        Path absolute = dataDirectory.resolve("abs/b.log").toAbsolutePath();
        open(Map.of("path", absolute.toString()));
        assertTrue(Files.isRegularFile(absolute));
        VaultException bad = assertThrows(VaultException.class, () -> open(Map.of("fsync", "sometimes")));
        assertEquals(ErrorCode.CONFIGURATION, bad.errorCode());
        assertTrue(bad.getMessage().contains("'fsync'"));
    }

    @Test
    void thePluginContributesTheFactory() {
        List<AuditSinkFactory> sinks = new FileAuditPlugin().auditSinks();
        assertEquals(1, sinks.size());
        assertEquals("file", sinks.get(0).name());
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> fieldNames(String line) throws IOException {
        List<String> names = new ArrayList<>();
        try (JsonParser p = new JsonFactory().createParser(line)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                names.add(p.currentName());
                p.nextToken();
                p.skipChildren();
            }
        }
        return names;
    }

    private static String sha256(String line) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(line.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
