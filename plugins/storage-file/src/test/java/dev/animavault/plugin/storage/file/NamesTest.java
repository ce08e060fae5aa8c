package dev.animavault.plugin.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The file-name mapping: reversible, injective even ignoring case, safe alphabet only. */
class NamesTest {

    @Test
    void randomIdsRoundTripAndNeverCollideIgnoringCase() {
        Random random = new Random(42);
        Map<String, String> byFolded = new HashMap<>();
        String alphabet = "aAbBkKeEyY09._-/\\:%~ .\u0000\u00e9\u0301\u00c9\ud83d\udd11";
        for (int i = 0; i < 50_000; i++) {
            int len = 1 + random.nextInt(12);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < len; k++) {
                int at = random.nextInt(alphabet.length());
                char c = alphabet.charAt(at);
                if (Character.isHighSurrogate(c)) {
                    sb.append(c).append(alphabet.charAt(at + 1));
                } else if (!Character.isLowSurrogate(c)) {
                    sb.append(c);
                }
            }
            String id = sb.toString();
            String name = Names.encode(id);
            assertTrue(name.matches("[a-z0-9_.%A-F-]+"), name);
            assertFalse(name.startsWith(".") || name.endsWith("."), name);
            assertEquals(id, Names.decode(name), "round trip of " + name);
            String other = byFolded.putIfAbsent(name.toLowerCase(Locale.ROOT), id);
            assertTrue(other == null || other.equals(id), "'" + id + "' and '" + other + "' collide ignoring case");
        }
    }

    @Test
    void longIdsAreHashedAndForeignNamesAreNotDecoded() {
        String name = Names.encode("k".repeat(1000));
        assertTrue(Names.isHashed(name), name);
        assertNull(Names.decode(name));
        assertNull(Names.decode(".tmp-12ab"));
        assertNull(Names.decode("UPPER"));
        assertNull(Names.decode("bad%4"));
        assertEquals("", Names.decode(Names.encode("")));
        assertEquals("%63on", Names.encode("con"));
        assertEquals("%4Bey", Names.encode("Key"));
    }
}
