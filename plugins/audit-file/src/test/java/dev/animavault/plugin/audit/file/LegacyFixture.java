package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The events of {@code src/test/resources/legacy-audit.jsonl}, a file written by the sink as it was before
 * the hand-written line encoder (Jackson's {@code JsonGenerator} per event, {@code Instant.toString()},
 * {@code HexFormat}), kept to prove that files written by earlier versions still load, verify and answer
 * queries. The events are rebuilt here deterministically; the fixture itself must never be regenerated
 * with newer code (that would prove nothing). {@link #main} is how it was made, with the old encoder:
 * {@code java -cp target/test-classes:target/classes:<deps> dev.animavault.plugin.audit.file.LegacyFixture <file>}.
 */
final class LegacyFixture {
    static final String RESOURCE = "/legacy-audit.jsonl";
    /** The batch sizes the fixture was written with, in turn. */
    private static final int[] BATCHES = {1, 2, 5, 13, 40};
    private static final int RANDOM_EVENTS = 300;

    private LegacyFixture() {
    }

    /** The fixture's events, in file order. */
    static List<AuditEvent> events() {
        List<AuditEvent> out = new ArrayList<>();
        AuditTestEvents events = new AuditTestEvents();
        out.add(events.fullEvent("org_a", Instant.parse("2025-03-01T12:00:00.123456789Z")));
        out.add(events.sparseEvent("org_a", Instant.parse("2025-03-01T12:00:01Z")));
        out.add(events.event("org_a", "agent_1", "secret.read", Instant.parse("2025-03-01T12:00:02.100Z")));
        out.add(events.event("org_b", null, "secret.read", Instant.parse("2025-03-01T12:00:03.000100Z")));
        StringBuilder controls = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            controls.append(c);
        }
        controls.append('\u007f');
        Map<String, String> details = new LinkedHashMap<>();
        details.put("controls", controls.toString());
        details.put("B", "upper before lower");
        details.put("a", "lower");
        details.put("\u00e9", "latin-1 key");
        details.put("\ud83d\udd11", "emoji key"); // a pair: unpaired surrogates in keys were never readable
        details.put("\uffff", "last BMP key");
        details.put("", "empty key");
        details.put("lone", "high \ud800 low \udc00 reversed \udc00\ud800 end \ud83d");
        details.put("separators", "\u2028 and \u2029");
        out.add(new AuditEvent("ev_controls", Instant.parse("2025-03-01T12:00:04.000000001Z"), "secret.update",
                AuditOutcome.FAILURE, "org_a", "agent_2", "KEY\\WITH\"QUOTES\"", 0, "identity:agent_2",
                "req-\n\r\t\b\f", "::1", "internal\u0000error", details));
        out.add(new AuditEvent("ev_far_past", Instant.parse("0999-12-31T23:59:59.999Z"), "secret.read",
                AuditOutcome.SUCCESS, "org_a", null, null, -1, null, null, null, null, Map.of()));
        out.add(new AuditEvent("ev_far_future", Instant.parse("+10000-01-01T00:00:00Z"), "secret.read",
                AuditOutcome.DENIED, "org_a", null, null, Integer.MIN_VALUE, null, null, null, "x", Map.of()));
        AuditEventGenerator generator = new AuditEventGenerator(20261125L, false);
        for (int i = 0; i < RANDOM_EVENTS; i++) {
            out.add(generator.next());
        }
        return out;
    }

    /** Writes the fixture's events to a new file, in batches of {@link #BATCHES} in turn. */
    public static void main(String[] args) {
        Path file = Path.of(args[0]).toAbsolutePath();
        if (Files.exists(file)) {
            throw new IllegalStateException(file + " exists");
        }
        List<AuditEvent> all = events();
        try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            int i = 0;
            for (int b = 0; i < all.size(); b++) {
                int n = Math.min(BATCHES[b % BATCHES.length], all.size() - i);
                sink.write(all.subList(i, i + n));
                i += n;
            }
            System.out.println(all.size() + " events, head " + sink.headHash());
        }
    }
}
