package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SecretValueTest {

    @Test
    void utf8CharsOfAsciiAreTheBytesOneForOne() {
        String s = "sk-bench-0123456789abcdef \u0000\u007f~";
        assertArrayEquals(s.toCharArray(), SecretValue.ofUtf8(s).utf8Chars().orElseThrow());
        assertArrayEquals(new char[0], SecretValue.of(new byte[0]).utf8Chars().orElseThrow());
    }

    @Test
    void utf8CharsDecodeMultiByteSequencesAfterAsciiAndAnywhere() {
        for (String s : new String[] {"\u00e9", "key-\u00e9t\u00e9", "\u20ac-ok", "ok-\uD83D\uDE00", "a\u0800b\uffffc"}) {
            assertArrayEquals(s.toCharArray(), SecretValue.ofUtf8(s).utf8Chars().orElseThrow(), s);
        }
    }

    @Test
    void utf8CharsRefuseMalformedBytesWhereverTheyStand() {
        byte[][] bad = {
            {(byte) 0x80},                                  // a lone continuation byte
            {'a', 'b', (byte) 0xC3},                        // truncated after ASCII
            {'a', (byte) 0xC3, '(', 'b'},                   // a bad continuation
            {(byte) 0xFF, 'a'},                             // never valid in UTF-8
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},        // an encoded surrogate
            {(byte) 0xC0, (byte) 0xAF},                     // an overlong '/'
        };
        for (byte[] b : bad) {
            assertTrue(SecretValue.of(b).utf8Chars().isEmpty(), () -> java.util.Arrays.toString(b));
        }
    }

    @Test
    void utf8CharsAreTheCallersOwnCopy() {
        SecretValue v = SecretValue.ofUtf8("abc");
        char[] first = v.utf8Chars().orElseThrow();
        first[0] = 'X';
        assertEquals("abc", new String(v.utf8Chars().orElseThrow()));
        assertEquals("abc", new String(v.bytes(), StandardCharsets.UTF_8));
    }
}
