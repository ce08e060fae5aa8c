package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** SipHash-2-4 against the reference vectors (key 00..0f, message 00..n-1), and the framing of strings. */
class SipHashTest {
    private static final SipHash REFERENCE = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);

    @Test
    void matchesTheReferenceVectors() {
        assertEquals(0x726fdb47dd0e0e31L, REFERENCE.digestWords());
        assertEquals(0x93f5f5799a932462L, REFERENCE.digestWords(0x0706050403020100L));
        assertEquals(0x3f2acc7f57c29bdbL, REFERENCE.digestWords(0x0706050403020100L, 0x0f0e0d0c0b0a0908L));
    }

    @Test
    void stringsAreFramedByTheirLengthAndTheKeyMatters() {
        assertNotEquals(REFERENCE.digest("ab", "c"), REFERENCE.digest("a", "bc"));
        assertNotEquals(REFERENCE.digest("org", "agent", "K"), REFERENCE.digest("org", "agentK", ""));
        assertEquals(REFERENCE.digest("org", "agent", "K"), REFERENCE.digest("org", "agent", "K"));
        assertNotEquals(REFERENCE.digest("org", "agent"), new SipHash(1, 2).digest("org", "agent"));
    }
}
