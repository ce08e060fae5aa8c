package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@code Hasher.map} (sorting in a reused array, issue 19) encodes a map exactly as the MACs already stored were
 * made: the entry count without the skipped one, then each key and value in {@code String.compareTo} order. A
 * change there would refuse every stored row, so the encoding is pinned against that definition, built from the
 * hasher's other primitives, for maps of 0 to 40 entries (the insertion sort and the sort of large maps), with
 * and without the skipped key, one hasher reused throughout.
 */
class HasherMapTest {

    @Test
    void mapEncodingIsTheSortedEntriesWithoutTheSkippedKey() {
        SecretKeySpec key = new SecretKeySpec(new byte[32], "HmacSHA256");
        IntegrityMacs.Hasher h = new IntegrityMacs.Hasher(key);
        IntegrityMacs.Hasher expected = new IntegrityMacs.Hasher(key);
        Random random = new Random(19);
        for (int round = 0; round < 2_000; round++) {
            Map<String, String> m = new HashMap<>();
            int n = random.nextInt(41);
            for (int k = 0; k < n; k++) {
                m.put(word(random), word(random));
            }
            if (random.nextBoolean()) {
                m.put("_mac", "v1.1.0.x");
            }
            h.reset();
            h.b('S').map(m, "_mac").s("after");
            String[] keys = m.keySet().stream().filter(k -> !k.equals("_mac")).toArray(String[]::new);
            Arrays.sort(keys);
            expected.reset();
            expected.b('S').i(keys.length);
            for (String k : keys) {
                expected.s(k).s(m.get(k));
            }
            expected.s("after");
            assertArrayEquals(expected.mac(), h.mac(), "map " + m);
        }
    }

    private static String word(Random random) {
        char[] c = new char[1 + random.nextInt(6)];
        for (int i = 0; i < c.length; i++) {
            int r = random.nextInt(10);
            c[i] = r == 0 ? (char) (0x00e0 + random.nextInt(40)) : r == 1 ? '_' : (char) ('a' + random.nextInt(4));
        }
        return new String(c);
    }
}
