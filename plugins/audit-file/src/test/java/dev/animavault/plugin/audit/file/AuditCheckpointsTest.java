package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.audit.AuditEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints: written per batch (interval 0) and at close, signed with the given key, continued on reopen. */
class AuditCheckpointsTest {
    private static String field(String cp, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(cp);
        assertTrue(m.find(), name + " in " + cp);
        return m.group(1);
    }

    private static long lines(String cp) {
        return Long.parseLong(field(cp, "lines"));
    }

    @TempDir
    Path dir;

    @Test
    void everyBatchIsCheckpointedAndSigned() throws Exception {
        SecretKey key = new SecretKeySpec(new byte[32], "HmacSHA256");
        Path file = dir.resolve("audit.jsonl");
        FileAuditSinkConfig config = new FileAuditSinkConfig(file, false, true, Duration.ZERO, 0, Duration.ZERO);
        AuditEventGenerator events = new AuditEventGenerator(7, false);
        try (FileAuditSink sink = FileAuditSink.open(config, key)) {
            for (int batch = 1; batch <= 3; batch++) {
                List<AuditEvent> b = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    b.add(events.next());
                }
                sink.write(b);
            }
            assertEquals(AuditHashChain.hex(AuditHashChain.unhex(sink.headHash())), sink.headHash());
        }
        List<String> cps = Files.readAllLines(AuditCheckpoints.pathFor(file), StandardCharsets.UTF_8);
        assertEquals(4, cps.size(), "one per batch, and the close checkpoint: " + cps);
        assertEquals("close", field(cps.get(3), "kind"));
        assertEquals(6, lines(cps.get(3)));
        long[] expectedLines = {1, 3, 6};
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        var mac = AuditCheckpoints.mac(key);
        for (int i = 0; i < 3; i++) {
            String cp = cps.get(i);
            assertEquals(expectedLines[i], lines(cp));
            byte[] line = lines.get((int) expectedLines[i] - 1).getBytes(StandardCharsets.UTF_8);
            assertEquals(AuditHashChain.hash(AuditHashChain.sha256(), line, 0, line.length), field(cp, "head"));
            assertEquals("batch", field(cp, "kind"));
            assertEquals("1", field(cp, "segment"));
            assertEquals(AuditCheckpoints.sign(mac, 1, lines(cp), field(cp, "head"),
                    field(cp, "at"), "batch"), field(cp, "mac"));
        }

        // reopened without a key (older core): unsigned checkpoints continue the count; close adds the last
        FileAuditSinkConfig slow = new FileAuditSinkConfig(file, false, true, Duration.ZERO, 0, Duration.ofHours(1));
        try (FileAuditSink sink = FileAuditSink.open(slow)) {
            sink.write(List.of(events.next()));
            sink.write(List.of(events.next()));
        }
        cps = Files.readAllLines(AuditCheckpoints.pathFor(file), StandardCharsets.UTF_8);
        assertEquals(6, cps.size(), "the first batch after opening, then close: " + cps);
        assertEquals(7, lines(cps.get(4)));
        assertEquals(8, lines(cps.get(5)));
        assertFalse(cps.get(5).contains("mac"));
        assertTrue(AuditHashChain.verify(file) < 0);
    }
}
