package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** SipHash-2-4 against the reference vectors (key 00..0f, message 00..n-1), and the framing of strings. */
class SipHashTest {
    private static final SipHash REFERENCE = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);

    private static byte[] message(int length) {
        byte[] m = new byte[length];
        for (int i = 0; i < length; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    @Test
    void matchesTheReferenceVectors() {
        assertEquals(0x726fdb47dd0e0e31L, REFERENCE.digestBytes(message(0)));
        assertEquals(0x93f5f5799a932462L, REFERENCE.digestBytes(message(8)));
        assertEquals(0xa129ca6149be45e5L, REFERENCE.digestBytes(message(15)));  // the paper's worked example
        assertEquals(0x3f2acc7f57c29bdbL, REFERENCE.digestBytes(message(16)));
    }

    @Test
    void stringsAreFramedByTheirLengthAndTheKeyMatters() {
        assertNotEquals(REFERENCE.digest("ab", "c"), REFERENCE.digest("a", "bc"));
        assertNotEquals(REFERENCE.digest("org", "agent", "K"), REFERENCE.digest("org", "agentK", ""));
        assertEquals(REFERENCE.digest("org", "agent", "K"), REFERENCE.digest("org", "agent", "K"));
        assertNotEquals(REFERENCE.digest("org", "agent"), new SipHash(1, 2).digest("org", "agent"));
    }
}
