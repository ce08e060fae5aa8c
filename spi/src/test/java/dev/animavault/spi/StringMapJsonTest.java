package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
            int entries = random.nextInt(5);
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
    void decodesObjectsWrittenElsewhere() {
        assertEquals(Map.of(), StringMapJson.decode(" { } "));
        assertEquals(Map.of("_mac", "v1.1.0.abc"), StringMapJson.decode("{\"_mac\":\"v1.1.0.abc\"}"));
        assertEquals(Map.of("a", "x\"y", "b", "\u00e9/"), StringMapJson.decode("{ \"a\" : \"x\\\"y\", \"b\":\"\\u00e9\\/\" }"));
        assertEquals(Map.of("a", "2"), StringMapJson.decode("{\"a\":\"1\",\"a\":\"2\"}")); // the last one wins
    }

    @Test
    void refusesWhatIsNotAnObjectOfStrings() {
        for (String bad : new String[] {"", "{", "{\"a\"}", "{\"a\":1}", "{\"a\":\"b\"", "{\"a\":\"b\"} x", "[]",
                "{\"a\":\"b\\q\"}", "{\"a\":\"\\u12\"}"}) {
            assertThrows(IllegalStateException.class, () -> StringMapJson.decode(bad), bad);
        }
    }
}
