package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written encoder against the decoder and against Jackson: random events with every awkward
 * character round-trip, parse with Jackson into the same field values in the documented order, and are
 * byte for byte what Jackson's generator (the earlier encoder, copied below) writes.
 */
class AuditLineCodecTest {
    private static final List<String> FIELD_ORDER = List.of("id", "timestamp", "action", "outcome", "organizationId",
            "identityId", "secretKey", "version", "actor", "requestId", "remoteAddress", "errorCode", "details", "prev");
    private static final int EVENTS = 20_000;

    private final AuditLineEncoder encoder = new AuditLineEncoder();
    private final AuditLineDecoder decoder = new AuditLineDecoder();
    private final JsonFactory jackson = new JsonFactory();

    @TempDir
    Path dir;

    @Test
    void randomEventsRoundTripParseWithJacksonAndMatchJacksonsBytes() throws Exception {
        long seed = new Random().nextLong();
        AuditEventGenerator generator = new AuditEventGenerator(seed, true);
        Random random = new Random(seed);
        LineBuffer out = new LineBuffer(16);
        int sanitized = 0;
        for (int i = 0; i < EVENTS; i++) {
            AuditEvent e = generator.next();
            byte[] prev = new byte[AuditLineCodec.HASH_BYTES];
            random.nextBytes(prev);
            String where = "seed " + seed + ", event " + i + ": " + e;
            out.reset();
            // something already in the buffer: lines are appended to a batch
            int start = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(300);
            out.ensure(start);
            out.size(start);
            encoder.encode(e, prev, out);
            byte[] line = Arrays.copyOfRange(out.array(), start, out.size());

            AuditEvent expected = withDocumentedKeyReplacement(e);
            sanitized += expected.equals(e) ? 0 : 1;
            AuditLineCodec.Decoded d = decoder.decode(line, 0, line.length);
            assertEquals(expected, d.event(), where);
            assertEquals(HexFormat.of().formatHex(prev), d.prev(), where);
            assertValidUtf8(line, where);
            assertJacksonReadsTheSameFields(line, expected, d.prev(), where);
            assertEquals(new String(legacyJackson(expected, d.prev()), StandardCharsets.UTF_8),
                    new String(line, StandardCharsets.UTF_8), where);
            assertArrayEquals(legacyJackson(expected, d.prev()), line, where);
        }
        assertTrue(sanitized > 0, "the generator produced no details key with an unpaired surrogate");
    }

    @Test
    void everyUtf16CodeUnitIsEncodedAsJacksonDoesAndRoundTrips() throws Exception {
        StringBuilder all = new StringBuilder(0x10000);
        for (int c = 0; c < 0x10000; c++) {
            all.append((char) c);
        }
        all.append("\uD83D\uDD11\uDBFF\uDFFF\uD800\uDC00");
        String value = all.toString();
        AuditEvent e = new AuditEvent(value, Instant.parse("2026-11-25T18:00:00.000000001Z"), value, AuditOutcome.SUCCESS,
                value, value, value, 42, value, value, value, value, Map.of("k", value, "\uD83D\uDD11", value));
        LineBuffer out = new LineBuffer(8);
        byte[] prev = new byte[AuditLineCodec.HASH_BYTES];
        Arrays.fill(prev, (byte) 0xAB);
        encoder.encode(e, prev, out);
        byte[] line = Arrays.copyOf(out.array(), out.size());
        String prevHex = "ab".repeat(32);
        assertArrayEquals(legacyJackson(e, prevHex), line);
        assertEquals(e, decoder.decode(line, 0, line.length).event());
        assertValidUtf8(line, "all code units");
        for (byte b : line) {
            assertTrue(b != '\n' && b != '\r', "a raw line break in the line");
        }
    }

    @Test
    void escapesAreTheShortFormsOrUpperCaseUnicodeEscapes() {
        AuditEvent e = new AuditEvent("a\"b\\c\n\r\t\b\f\u0000\u001f\u007f/\u2028\u2029\u00e9\u6771\uD83D\uDD11\uDC00",
                Instant.parse("2026-11-25T18:00:00Z"), "x", AuditOutcome.DENIED, null, null, null, null, null, null,
                null, null, Map.of());
        LineBuffer out = new LineBuffer(8);
        encoder.encode(e, new byte[AuditLineCodec.HASH_BYTES], out);
        String line = new String(out.array(), 0, out.size(), StandardCharsets.UTF_8);
        assertEquals("{\"id\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001F\u007f/\u2028\u2029\u00e9\u6771"
                + "\\uD83D\\uDD11\\uDC00\",\"timestamp\":\"2026-11-25T18:00:00Z\",\"action\":\"x\",\"outcome\":\"DENIED\","
                + "\"prev\":\"" + AuditHashChain.GENESIS + "\"}", line);
    }

    @Test
    void versionsTimestampsAndOmittedFields() throws Exception {
        Instant[] times = {Instant.EPOCH, Instant.parse("0999-12-31T23:59:59.999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("-0001-06-01T00:00:00.5Z"), Instant.MIN, Instant.MAX, Instant.parse("2026-11-25T18:00:00.120Z"),
                Instant.parse("2026-11-25T18:00:00.000120Z"), Instant.parse("2026-11-25T18:00:00.000000120Z")};
        Integer[] versions = {null, 0, 1, 9, 10, 99, 100, -1, -10, 123456789, Integer.MAX_VALUE, Integer.MIN_VALUE,
                Integer.MIN_VALUE + 1};
        for (Instant t : times) {
            for (Integer v : versions) {
                AuditEvent e = new AuditEvent("id", t, "a", AuditOutcome.FAILURE, null, "i", null, v, null, null, null,
                        null, null);
                LineBuffer out = new LineBuffer(8);
                encoder.encode(e, new byte[AuditLineCodec.HASH_BYTES], out);
                byte[] line = Arrays.copyOf(out.array(), out.size());
                assertArrayEquals(legacyJackson(e, AuditHashChain.GENESIS), line, e.toString());
                assertEquals(e, decoder.decode(line, 0, line.length).event());
            }
        }
    }

    @Test
    void detailsKeysWithUnpairedSurrogatesAreReplacedUniquelyAndTheLineStaysReadable() throws Exception {
        Map<String, String> details = new HashMap<>();
        details.put("a\uD800", "1");
        details.put("a\uDC00", "2");
        details.put("a\uFFFD\uFFFD", "3"); // no unpaired surrogate: kept as is, even though a replacement would match it
        details.put("\uD83D\uDD11", "4"); // a pair: kept
        details.put("b", "\uD800 values keep unpaired surrogates");
        AuditEvent e = new AuditEvent("id", Instant.EPOCH, "a", AuditOutcome.SUCCESS, null, null, null, null, null, null,
                null, null, details);
        LineBuffer out = new LineBuffer(8);
        encoder.encode(e, new byte[AuditLineCodec.HASH_BYTES], out);
        AuditEvent decoded = decoder.decode(out.array(), 0, out.size()).event();
        // in order of the original keys: D800 before DC00
        assertEquals(Map.of("a\uFFFD", "1", "a\uFFFD\uFFFD\uFFFD", "2", "a\uFFFD\uFFFD", "3", "\uD83D\uDD11", "4",
                "b", "\uD800 values keep unpaired surrogates"), decoded.details());
    }

    @Test
    void aSinkWritesAndReloadsRandomEvents() throws Exception {
        long seed = new Random().nextLong();
        AuditEventGenerator generator = new AuditEventGenerator(seed, true);
        Path file = dir.resolve("random.jsonl");
        List<AuditEvent> written = new ArrayList<>();
        String head;
        try (FileAuditSink sink = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            Random random = new Random(seed);
            for (int b = 0; b < 40; b++) {
                List<AuditEvent> batch = new ArrayList<>();
                for (int i = random.nextInt(60); i >= 0; i--) {
                    batch.add(generator.next());
                }
                sink.write(batch);
                batch.forEach(e -> written.add(withDocumentedKeyReplacement(e)));
            }
            head = sink.headHash();
            // A batch that cannot be encoded writes nothing and leaves the chain where it was.
            List<AuditEvent> broken = new ArrayList<>(List.of(generator.next(), generator.next()));
            broken.add(null);
            assertThrows(NullPointerException.class, () -> sink.write(broken));
            assertEquals(head, sink.headHash());
            assertEquals(written.size(), sink.size());
        }
        assertEquals(-1, AuditHashChain.verify(file), "seed " + seed);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(written.size(), lines.size());
        try (FileAuditSink reopened = FileAuditSink.open(new FileAuditSinkConfig(file, false, true))) {
            assertEquals(head, reopened.headHash());
            assertEquals(written.size(), reopened.size());
            for (int i = 0; i < lines.size(); i++) {
                byte[] line = lines.get(i).getBytes(StandardCharsets.UTF_8);
                assertEquals(written.get(i), decoder.decode(line, 0, line.length).event(), "seed " + seed + ", line " + i);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The documented replacement of unpaired surrogates in details keys (see {@link AuditLineCodec}). */
    static AuditEvent withDocumentedKeyReplacement(AuditEvent e) {
        Map<String, String> kept = new HashMap<>();
        TreeMap<String, String> replaced = new TreeMap<>();
        for (Map.Entry<String, String> d : e.details().entrySet()) {
            if (AuditEventGenerator.withoutLoneSurrogates(d.getKey()).equals(d.getKey())) {
                kept.put(d.getKey(), d.getValue());
            } else {
                replaced.put(d.getKey(), d.getValue());
            }
        }
        if (replaced.isEmpty()) {
            return e;
        }
        Set<String> taken = new HashSet<>(kept.keySet());
        for (Map.Entry<String, String> d : replaced.entrySet()) {
            StringBuilder key = new StringBuilder();
            String k = d.getKey();
            for (int i = 0; i < k.length(); i++) {
                char c = k.charAt(i);
                boolean pair = Character.isHighSurrogate(c) && i + 1 < k.length() && Character.isLowSurrogate(k.charAt(i + 1));
                if (pair) {
                    key.append(c).append(k.charAt(++i));
                } else {
                    key.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                }
            }
            while (taken.contains(key.toString())) {
                key.append('\uFFFD');
            }
            taken.add(key.toString());
            kept.put(key.toString(), d.getValue());
        }
        return new AuditEvent(e.id(), e.timestamp(), e.action(), e.outcome(), e.organizationId(), e.identityId(),
                e.secretKey(), e.version(), e.actor(), e.requestId(), e.remoteAddress(), e.errorCode(), kept);
    }

    private static void assertValidUtf8(byte[] line, String where) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line));
        } catch (CharacterCodingException ex) {
            throw new AssertionError("not valid UTF-8: " + where, ex);
        }
    }

    /** Parses the line with plain Jackson, field by field, and compares with the event. */
    private void assertJacksonReadsTheSameFields(byte[] line, AuditEvent e, String prev, String where) throws IOException {
        Map<String, Object> fields = new LinkedHashMap<>();
        try (JsonParser p = jackson.createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken(), where);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_OBJECT) {
                    Map<String, String> details = new LinkedHashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        assertEquals(JsonToken.VALUE_STRING, p.nextToken(), where);
                        details.put(key, p.getText());
                    }
                    fields.put(name, details);
                } else if (t == JsonToken.VALUE_NUMBER_INT) {
                    fields.put(name, p.getIntValue());
                } else {
                    assertEquals(JsonToken.VALUE_STRING, t, where);
                    fields.put(name, p.getText());
                }
            }
            assertEquals(JsonToken.END_OBJECT, p.currentToken(), where);
            assertNull(p.nextToken(), where);
        }
        List<String> expectedOrder = new ArrayList<>(FIELD_ORDER);
        expectedOrder.removeIf(f -> switch (f) {
            case "organizationId" -> e.organizationId() == null;
            case "identityId" -> e.identityId() == null;
            case "secretKey" -> e.secretKey() == null;
            case "version" -> e.version() == null;
            case "actor" -> e.actor() == null;
            case "requestId" -> e.requestId() == null;
            case "remoteAddress" -> e.remoteAddress() == null;
            case "errorCode" -> e.errorCode() == null;
            case "details" -> e.details().isEmpty();
            default -> false;
        });
        assertEquals(expectedOrder, new ArrayList<>(fields.keySet()), where);
        assertEquals(e.id(), fields.get("id"), where);
        assertEquals(e.timestamp().toString(), fields.get("timestamp"), where);
        assertEquals(e.action(), fields.get("action"), where);
        assertEquals(e.outcome().name(), fields.get("outcome"), where);
        assertEquals(e.organizationId(), fields.get("organizationId"), where);
        assertEquals(e.identityId(), fields.get("identityId"), where);
        assertEquals(e.secretKey(), fields.get("secretKey"), where);
        assertEquals(e.version(), fields.get("version"), where);
        assertEquals(e.actor(), fields.get("actor"), where);
        assertEquals(e.requestId(), fields.get("requestId"), where);
        assertEquals(e.remoteAddress(), fields.get("remoteAddress"), where);
        assertEquals(e.errorCode(), fields.get("errorCode"), where);
        if (!e.details().isEmpty()) {
            @SuppressWarnings("unchecked")
            Map<String, String> details = (Map<String, String>) fields.get("details");
            assertEquals(e.details(), details, where);
            assertEquals(new ArrayList<>(new TreeMap<>(e.details()).keySet()), new ArrayList<>(details.keySet()),
                    "details sorted by key: " + where);
        }
        assertEquals(prev, fields.get("prev"), where);
    }

    /** The earlier encoder (AuditLineCodec.encode before the hand-written one), verbatim. */
    private byte[] legacyJackson(AuditEvent e, String prev) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = jackson.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", e.id());
            g.writeStringField("timestamp", e.timestamp().toString());
            g.writeStringField("action", e.action());
            g.writeStringField("outcome", e.outcome().name());
            writeIfPresent(g, "organizationId", e.organizationId());
            writeIfPresent(g, "identityId", e.identityId());
            writeIfPresent(g, "secretKey", e.secretKey());
            if (e.version() != null) {
                g.writeNumberField("version", e.version());
            }
            writeIfPresent(g, "actor", e.actor());
            writeIfPresent(g, "requestId", e.requestId());
            writeIfPresent(g, "remoteAddress", e.remoteAddress());
            writeIfPresent(g, "errorCode", e.errorCode());
            if (!e.details().isEmpty()) {
                g.writeObjectFieldStart("details");
                for (Map.Entry<String, String> d : new TreeMap<>(e.details()).entrySet()) {
                    g.writeStringField(d.getKey(), d.getValue());
                }
                g.writeEndObject();
            }
            g.writeStringField("prev", prev);
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    private static void writeIfPresent(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }
}
