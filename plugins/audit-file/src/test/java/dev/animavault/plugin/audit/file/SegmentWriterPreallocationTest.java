package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 19: blocks are reserved ahead only once a deferred start made the downcall handles (PreallocatorStart). */
class SegmentWriterPreallocationTest {
    @TempDir
    Path dir;

    @Test
    void aDeferredStartReservesNothingUntilItIsReadyThenTheNextTopUpReserves() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && Runtime.version().feature() >= 22, "fallocate through the foreign function API: Linux, Java 22+");
        PreallocatorStart start = new PreallocatorStart(300);
        start.defer();
        Path file = dir.resolve("audit.jsonl");
        try (SegmentWriter writer = SegmentWriter.open(file, start)) {
            byte[] line = "{\"n\":1}\n".getBytes(StandardCharsets.UTF_8);
            writer.append(line, line.length, 0, false);
            writer.reserveAhead(line.length);
            assertFalse(writer.preallocates(), "reserved before the deferred start was ready");
            assertTrue(FileAuditSinkTest.allocated(file) < SegmentWriter.RESERVE_AHEAD, "allocated: " + FileAuditSinkTest.allocated(file));

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!start.ready()) {
                assertTrue(System.nanoTime() < deadline, "the deferred start never became ready");
                Thread.sleep(20);
            }
            writer.reserveAhead(line.length);
            assertTrue(writer.preallocates());
            assertTrue(FileAuditSinkTest.allocated(file) >= SegmentWriter.RESERVE_AHEAD, "allocated: " + FileAuditSinkTest.allocated(file));
            assertEquals(line.length, Files.size(file), "the reservation adds nothing to the file's content");
            writer.trim(line.length);
        }
        assertTrue(FileAuditSinkTest.allocated(file) < 1 << 20, "given back: " + FileAuditSinkTest.allocated(file));
    }

    @Test
    void withoutADeferralTheFirstTopUpReserves() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && Runtime.version().feature() >= 22, "fallocate through the foreign function API: Linux, Java 22+");
        Path file = dir.resolve("audit.jsonl");
        try (SegmentWriter writer = SegmentWriter.open(file, new PreallocatorStart(60_000))) {
            writer.reserveAhead(0);
            assertTrue(writer.preallocates());
            assertTrue(FileAuditSinkTest.allocated(file) >= SegmentWriter.RESERVE_AHEAD, "allocated: " + FileAuditSinkTest.allocated(file));
            writer.trim(0);
        }
    }
}
