package dev.animavault.core.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small JSON writer straight to UTF-8 bytes, for the agents' hot path (the secret read response):
 * no generator objects, and the secret value goes from its bytes to the output without ever becoming a
 * {@code String} (which could not be wiped). Escapes like Jackson's default: {@code \"}, {@code \\},
 * {@code \b \t \n \f \r}, other control characters as {@code \}{@code u00XX}; everything else as UTF-8.
 * Unpaired surrogates and invalid UTF-8 become U+FFFD. The caller writes separators through the
 * {@code field}/{@code raw} calls; not a general-purpose generator. Not thread-safe.
 */
final class JsonBytes {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    /** For ASCII: 0 = as is, 'u' = \\u00XX, other = the character after the backslash. */
    private static final byte[] ESCAPES = new byte[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = 'u';
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
    }

    private byte[] buf;
    private int len;

    JsonBytes(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /** Appends ASCII text as is (structure: braces, commas, quoted field names). */
    JsonBytes raw(String ascii) {
        int n = ascii.length();
        ensure(n);
        ascii.getBytes(0, n, buf, len); // deprecated but exact for ASCII, and the fastest copy
        len += n;
        return this;
    }

    JsonBytes raw(char c) {
        ensure(1);
        buf[len++] = (byte) c;
        return this;
    }

    /** Appends bytes that are already JSON (a value serialized elsewhere). */
    JsonBytes json(byte[] json) {
        ensure(json.length);
        System.arraycopy(json, 0, buf, len, json.length);
        len += json.length;
        return this;
    }

    /** Appends a decimal number. */
    JsonBytes number(long n) {
        return raw(Long.toString(n));
    }

    /** Appends a quoted, escaped string. */
    JsonBytes string(String s) {
        ensure(s.length() + 2);
        buf[len++] = '"';
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                ascii(c);
            } else if (c < 0x800) {
                ensure(2);
                buf[len++] = (byte) (0xC0 | (c >> 6));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                ensure(4);
                buf[len++] = (byte) (0xF0 | (cp >> 18));
                buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                buf[len++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                replacement();
            } else {
                ensure(3);
                buf[len++] = (byte) (0xE0 | (c >> 12));
                buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[len++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        ensure(1);
        buf[len++] = '"';
        return this;
    }

    /**
     * Appends UTF-8 bytes as a quoted, escaped string without decoding them to a {@code String}. Valid
     * multi-byte sequences are copied; each byte of an invalid one becomes U+FFFD.
     */
    JsonBytes utf8String(byte[] utf8) {
        ensure(utf8.length + 2);
        buf[len++] = '"';
        int i = 0;
        int n = utf8.length;
        while (i < n) {
            int b = utf8[i] & 0xFF;
            if (b < 0x80) {
                ascii((char) b);
                i++;
                continue;
            }
            int seq = validSequence(utf8, i);
            if (seq == 0) {
                replacement();
                i++;
            } else {
                ensure(seq);
                System.arraycopy(utf8, i, buf, len, seq);
                len += seq;
                i += seq;
            }
        }
        ensure(1);
        buf[len++] = '"';
        return this;
    }

    /** The length of the well-formed UTF-8 sequence (RFC 3629) starting at {@code i}, or 0. */
    static int validSequence(byte[] s, int i) {
        int b0 = s[i] & 0xFF;
        int n = s.length;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            return i + 1 < n && cont(s[i + 1]) ? 2 : 0;
        }
        if (b0 >= 0xE0 && b0 <= 0xEF) {
            if (i + 2 >= n || !cont(s[i + 1]) || !cont(s[i + 2])) {
                return 0;
            }
            int b1 = s[i + 1] & 0xFF;
            if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) {
                return 0; // overlong, or a surrogate
            }
            return 3;
        }
        if (b0 >= 0xF0 && b0 <= 0xF4) {
            if (i + 3 >= n || !cont(s[i + 1]) || !cont(s[i + 2]) || !cont(s[i + 3])) {
                return 0;
            }
            int b1 = s[i + 1] & 0xFF;
            if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) {
                return 0; // overlong, or above U+10FFFF
            }
            return 4;
        }
        return 0;
    }

    private static boolean cont(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private void ascii(char c) {
        byte e = ESCAPES[c];
        if (e == 0) {
            ensure(1);
            buf[len++] = (byte) c;
        } else if (e == 'u') {
            ensure(6);
            buf[len++] = '\\';
            buf[len++] = 'u';
            buf[len++] = '0';
            buf[len++] = '0';
            buf[len++] = HEX[c >> 4];
            buf[len++] = HEX[c & 0xF];
        } else {
            ensure(2);
            buf[len++] = '\\';
            buf[len++] = e;
        }
    }

    private void replacement() {
        ensure(3);
        System.arraycopy(REPLACEMENT, 0, buf, len, 3);
        len += 3;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    /** The JSON written so far, as a new array. */
    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    /** Zeroes the internal buffer (it held a secret value). */
    void wipe() {
        Arrays.fill(buf, (byte) 0);
        len = 0;
    }
}
