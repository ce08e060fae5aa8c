package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StringMapJsonTest {

    @Test
    void roundTripsMapsOfAnySizeAndContent() {
        SplittableRandom random = new SplittableRandom(11);
        String alphabet = "ab\"\\\n\t/\u0001\u007f\u00e9\u20ac\uD83D\uDE00 :,{}";
        for (int n = 0; n < 5_000; n++) {
            Map<String, String> m = new HashMap<>();
            int entries = n % 10 == 0 ? random.nextInt(40) : random.nextInt(5);
            for (int e = 0; e < entries; e++) {
                StringBuilder k = new StringBuilder();
                StringBuilder v = new StringBuilder();
                for (int c = random.nextInt(8); c > 0; c--) {
                    k.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                for (int c = random.nextInt(12); c > 0; c--) {
                    v.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                m.put(k.toString(), v.toString());
            }
            assertEquals(m, StringMapJson.decode(StringMapJson.encode(m)));
        }
    }

    @Test
    void encodesEmptyOneAndManyEntriesExactlySorted() {
        assertEquals("{}", StringMapJson.encode(Map.of()));
        assertEquals("{}", StringMapJson.encode(new HashMap<>()));
        assertEquals("{\"hint\":\"sk-b...cdef\"}", StringMapJson.encode(Map.of("hint", "sk-b...cdef")));
        assertEquals("{\"k\\\"\":\"v\\n\\u0001\\ud83d\"}", StringMapJson.encode(Map.of("k\"", "v\n\u0001\uD83D")));
        Map<String, String> three = new java.util.LinkedHashMap<>();
        three.put("c", "3");
        three.put("a", "1");
        three.put("b", "2");
        assertEquals("{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}", StringMapJson.encode(three));
    }

    @Test
    void decodesObjectsWrittenElsewhere() {
        assertEquals(Map.of(), StringMapJson.decode(" { } "));
        assertEquals(Map.of("_mac", "v1.1.0.abc"), StringMapJson.decode("{\"_mac\":\"v1.1.0.abc\"}"));
        assertEquals(Map.of("a", "x\"y", "b", "\u00e9/"), StringMapJson.decode("{ \"a\" : \"x\\\"y\", \"b\":\"\\u00e9\\/\" }"));
        assertEquals(Map.of("a", "2"), StringMapJson.decode("{\"a\":\"1\",\"a\":\"2\"}")); // the last one wins
    }

    @Test
    void aKeyGivenTwiceKeepsItsLastValueAtAnySize() {
        assertEquals(Map.of("a", "3"), StringMapJson.decode("{\"a\":\"1\",\"a\":\"2\",\"a\":\"3\"}"));
        assertEquals(Map.of("a", "2", "b", "1"), StringMapJson.decode("{\"a\":\"1\",\"b\":\"1\",\"a\":\"2\"}"));
        StringBuilder json = new StringBuilder("{");
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            json.append("\"k").append(i).append("\":\"v").append(i).append("\",");
            expected.put("k" + i, "v" + i);
        }
        json.append("\"k25\":\"last\"}"); // past the small maps' scan
        expected.put("k25", "last");
        assertEquals(expected, StringMapJson.decode(json.toString()));
    }

    @Test
    void decodedMapsAreImmutableSoRecordsKeepThemWithoutACopy() {
        for (String json : new String[] {"{}", "{\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}",
                "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}", "{\"a\":\"1\",\"a\":\"2\",\"c\":\"3\"}"}) {
            Map<String, String> m = StringMapJson.decode(json);
            assertSame(m, Map.copyOf(m), json);
        }
    }

    @Test
    void refusesWhatIsNotAnObjectOfStrings() {
        for (String bad : new String[] {"", "{", "{\"a\"}", "{\"a\":1}", "{\"a\":\"b\"", "{\"a\":\"b\"} x", "[]",
                "{\"a\":\"b\\q\"}", "{\"a\":\"\\u12\"}"}) {
            assertThrows(IllegalStateException.class, () -> StringMapJson.decode(bad), bad);
        }
    }
}
