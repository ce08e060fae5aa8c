package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonBytesTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(42);

    private static String randomString(int maxLength) {
        StringBuilder b = new StringBuilder();
        int n = RANDOM.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) {
            switch (RANDOM.nextInt(6)) {
                case 0 -> b.append((char) RANDOM.nextInt(0x20));           // control characters
                case 1 -> b.append("\"\\/\u2028\u2029\u007f".charAt(RANDOM.nextInt(6)));
                case 2 -> b.append((char) (0x80 + RANDOM.nextInt(0x780)));    // two-byte UTF-8
                case 3 -> b.append((char) (0x800 + RANDOM.nextInt(0xD000))); // three-byte, below surrogates
                case 4 -> b.appendCodePoint(0x10000 + RANDOM.nextInt(0x100000)); // four-byte: a surrogate pair
                default -> b.append((char) (0x20 + RANDOM.nextInt(0x5F)));
            }
        }
        return b.toString();
    }

    private static byte[] jackson(String s) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeString(s);
        }
        return out.toByteArray();
    }

    @Test
    void stringsRoundTripAndMatchJacksonByteForByteBelowTheSupplementaryPlanes() throws Exception {
        for (int i = 0; i < 20_000; i++) {
            String s = randomString(40);
            byte[] ours = new JsonBytes(8).string(s).toByteArray();
            assertEquals(s, Json.MAPPER.readTree(ours).textValue());
            if (s.chars().noneMatch(c -> Character.isSurrogate((char) c))) {
                // Jackson escapes supplementary characters as two escapes (backslash-u); we write their four UTF-8 bytes
                assertArrayEquals(jackson(s), ours, () -> "for " + s.codePoints().boxed().toList());
            }
            byte[] fromBytes = new JsonBytes(8).utf8String(s.getBytes(StandardCharsets.UTF_8)).toByteArray();
            assertArrayEquals(ours, fromBytes, "from UTF-8 bytes the same as from the string");
        }
    }

    @Test
    void invalidUtf8AndUnpairedSurrogatesBecomeReplacementCharactersInValidJson() throws Exception {
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[RANDOM.nextInt(24)];
            for (int j = 0; j < junk.length; j++) {
                junk[j] = (byte) RANDOM.nextInt(256);
            }
            byte[] json = new JsonBytes(8).utf8String(junk).toByteArray();
            JsonNode parsed = Json.MAPPER.readTree(json); // valid JSON, valid UTF-8
            String text = parsed.textValue();
            // valid sequences survive; only U+FFFD is added
            String expected = new String(junk, StandardCharsets.UTF_8);
            assertEquals(expected.replace("\uFFFD", ""), text.replace("\uFFFD", ""));
        }
        byte[] json = new JsonBytes(8).string("a\uD800b\uDC00c").toByteArray();
        assertEquals("a\uFFFDb\uFFFDc", Json.MAPPER.readTree(json).textValue());
    }

    @Test
    void structureAndNumbers() throws Exception {
        JsonBytes b = new JsonBytes(1);
        b.raw("{\"n\":").number(-42).raw(",\"s\":").string("x").raw('}');
        JsonNode n = Json.MAPPER.readTree(b.toByteArray());
        assertEquals(-42, n.get("n").intValue());
        assertEquals("x", n.get("s").textValue());
    }

    /** Long strings are written in chunks: a surrogate pair or an escape at every chunk boundary stays whole. */
    @Test
    void longStringsAcrossChunkBoundaries() throws Exception {
        for (int i = 0; i < 300; i++) {
            StringBuilder b = new StringBuilder();
            int n = 200 + RANDOM.nextInt(2_000);
            while (b.length() < n) {
                b.append(randomString(40));
            }
            String s = b.toString();
            JsonBytes out = new JsonBytes(1).raw('[').string("x").raw(',');
            byte[] ours = out.string(s).raw(']').toByteArray();
            assertEquals(s, Json.MAPPER.readTree(ours).get(1).textValue());
        }
        String pairAtBoundary = "a".repeat(255) + "\uD83D\uDE00" + "\u0001".repeat(300);
        assertEquals(pairAtBoundary, Json.MAPPER.readTree(new JsonBytes(1).string(pairAtBoundary).toByteArray()).textValue());
    }

    @Test
    void instantsAsTheirIsoText() throws Exception {
        java.time.Instant[] all = {java.time.Instant.EPOCH, java.time.Instant.parse("2026-12-06T05:40:43.123Z"),
            java.time.Instant.parse("2026-12-06T05:40:43.123456789Z"), java.time.Instant.parse("+10000-01-01T00:00:00Z"),
            java.time.Instant.MIN};
        for (java.time.Instant t : all) {
            JsonBytes b = new JsonBytes(1);
            b.raw('[').instant(t).raw(',').instant(t).raw(']');
            JsonNode n = Json.MAPPER.readTree(b.toByteArray());
            assertEquals(t.toString(), n.get(0).textValue());
            assertEquals(t.toString(), n.get(1).textValue());
        }
    }

    @Test
    void manyInstantsOfFewAndOfManyDaysAsTheirIsoText() throws Exception {
        java.util.Random random = new java.util.Random(19);
        JsonBytes b = new JsonBytes(1);
        java.util.List<java.time.Instant> written = new java.util.ArrayList<>();
        b.raw('[');
        long base = java.time.Instant.parse("2026-12-06T23:59:58Z").getEpochSecond();
        for (int k = 0; k < 5000; k++) {
            long seconds = switch (k % 4) {
                case 0 -> base + random.nextInt(5); // across midnight: the kept date changes back and forth
                case 1 -> base - random.nextInt(86_400 * 3);
                case 2 -> -30610224000L + (long) (random.nextDouble() * (253402300799L + 30610224000L)); // years 1000-9999
                default -> random.nextLong(-86_400L * 800, 86_400L * 800); // around the epoch, negative included
            };
            int nano = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            java.time.Instant t = java.time.Instant.ofEpochSecond(seconds, nano);
            written.add(t);
            b.raw(k == 0 ? "" : ",").instant(t);
        }
        JsonNode n = Json.MAPPER.readTree(b.raw(']').toByteArray());
        for (int k = 0; k < written.size(); k++) {
            assertEquals(written.get(k).toString(), n.get(k).textValue());
        }
    }
}
