package dev.animavault.plugin.audit.file;

import static dev.animavault.spi.testkit.AuditTestEvents.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink notices what happens to its file and its disk at run time (issue 10, items 7, 9 and 14): a
 * deleted or replaced file, a device instead of a file, a free-space reserve.
 */
class FileAuditSinkWatchTest {
    @TempDir
    Path dataDirectory;

    private final AuditTestEvents events = new AuditTestEvents();
    @RegisterExtension
    final OpenedSinks sinks = new OpenedSinks(() -> dataDirectory);

    private FileAuditSink open(Map<String, String> config) {
        return sinks.open(config);
    }

    private Path file() {
        return dataDirectory.resolve("audit/audit.jsonl");
    }

    private List<AuditEvent> batch(int second) {
        return List.of(events.event("org_a", "agent_1", "secret.read", at(second)));
    }

    @Test
    void aDeletedFileIsNoticedAndWritesAreRefused() throws Exception {
        FileAuditSink sink = open(Map.of());
        sink.write(batch(1));
        assertEquals(AuditSinkHealth.State.OK, sink.health().state());
        Files.delete(file());
        FileAuditSinkTestAccess.checkNow(sink);
        VaultException e = assertThrows(VaultException.class, () -> sink.write(batch(2)));
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("deleted"), e.getMessage());
        AuditSinkHealth health = sink.health();
        assertEquals(AuditSinkHealth.State.UNAVAILABLE, health.state());
        assertTrue(health.detail().contains("deleted"), health.detail());
        assertTrue(!health.detail().contains(dataDirectory.toString()), "health names no path");
        assertThrows(VaultException.class, sink::probe);
    }

    @Test
    void aReplacedFileIsNoticedByTheBackgroundCheck() throws Exception {
        FileAuditSink sink = open(Map.of());
        sink.write(batch(1));
        Path other = dataDirectory.resolve("other.jsonl");
        Files.writeString(other, "");
        Files.move(other, file(), StandardCopyOption.REPLACE_EXISTING);
        // the background thread checks once a second
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (sink.health().state() == AuditSinkHealth.State.OK && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(AuditSinkHealth.State.UNAVAILABLE, sink.health().state());
        assertTrue(sink.health().detail().contains("replaced"), sink.health().detail());
        assertThrows(VaultException.class, () -> sink.write(batch(2)));
        assertEquals(0, Files.size(file()), "nothing written to the new file");
    }

    @Test
    void aDeviceAsAuditPathIsRefusedAtOnce() {
        Path devFull = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(devFull), "needs /dev/full (Linux)");
        VaultException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(VaultException.class,
                () -> open(Map.of("path", devFull.toString()))));
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void aDirectoryAsAuditPathIsRefused() throws Exception {
        Files.createDirectories(dataDirectory.resolve("dir.jsonl"));
        VaultException e = assertThrows(VaultException.class, () -> open(Map.of("path", "dir.jsonl")));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void writesThatWouldEatTheReserveAreRefused() throws Exception {
        long usable = Files.getFileStore(dataDirectory).getUsableSpace();
        // a reserve larger than the disk's free space: the sink opens, but its probe and writes refuse
        FileAuditSink sink = open(Map.of("min-free-space", Long.toString(usable + (1L << 40))));
        VaultException probe = assertThrows(VaultException.class, sink::probe);
        assertTrue(probe.getMessage().contains("reserve"), probe.getMessage());
        VaultException write = assertThrows(VaultException.class, () -> sink.write(batch(1)));
        assertEquals(ErrorCode.AUDIT_UNAVAILABLE, write.errorCode());
        assertEquals(0, Files.size(file()), "the refused batch was not written");
        assertEquals(AuditSinkHealth.State.UNAVAILABLE, sink.health().state());
        assertTrue(sink.health().detail().contains("reserve"), sink.health().detail());
    }

    @Test
    void healthWarnsBeforeTheReserveIsReached() throws Exception {
        long usable = Files.getFileStore(dataDirectory).getUsableSpace();
        // free space is 1.5x the reserve: below the warning line (2x), above the reserve
        FileAuditSink sink = open(Map.of("min-free-space", Long.toString(usable * 2 / 3)));
        sink.probe();
        sink.write(batch(1));
        AuditSinkHealth health = sink.health();
        assertEquals(AuditSinkHealth.State.DEGRADED, health.state(), String.valueOf(health.detail()));
        assertTrue(health.detail().contains("MiB free"), health.detail());
        assertEquals(AuditSinkHealth.State.OK, open(Map.of("path", "b.jsonl", "min-free-space", "0")).health().state());
    }
}
