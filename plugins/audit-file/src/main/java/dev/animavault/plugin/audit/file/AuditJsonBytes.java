package dev.animavault.plugin.audit.file;

import java.nio.charset.StandardCharsets;

/**
 * JSON strings and integers written as UTF-8 straight into a byte array, with the escapes of
 * {@link AuditLineCodec}'s format (what Jackson's {@code JsonGenerator} wrote). Each method writes at
 * {@code p} and returns the position after what it wrote; the caller has reserved the room (6 bytes a
 * char at worst). Static and stateless: the audit encoder's per-event helpers.
 */
final class AuditJsonBytes {
    private static final byte[] MIN_INT = ascii(Integer.toString(Integer.MIN_VALUE));

    /** Per ASCII char: 0 written as is, -1 as a six-character escape, else the char after a backslash. */
    private static final byte[] ESCAPES = new byte[128];
    private static final byte[] HEX_UPPER = ascii("0123456789ABCDEF");

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = -1;
        }
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
    }

    private AuditJsonBytes() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static int prefix(byte[] b, int p, byte[] prefix) {
        System.arraycopy(prefix, 0, b, p, prefix.length);
        return p + prefix.length;
    }

    /** The prefix (ending in an opening quote), the escaped string, the closing quote; room is there. */
    static int string(byte[] b, int p, byte[] prefix, String s) {
        p = chars(b, prefix(b, p, prefix), s, s.length());
        b[p++] = '"';
        return p;
    }

    static int integer(byte[] b, int p, int v) {
        if (v == Integer.MIN_VALUE) {
            return prefix(b, p, MIN_INT);
        }
        if (v < 0) {
            b[p++] = '-';
            v = -v;
        }
        int digits = 1;
        for (int x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = p + digits - 1; i >= p; i--) {
            b[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return p + digits;
    }

    /** Writes the escaped UTF-8 of {@code s} (without quotes) at {@code p}; room for 6 bytes a char is there. */
    private static int chars(byte[] b, int p, String s, int n) {
        // The common case, printable ASCII with nothing to escape, in a loop of its own.
        int i = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                break;
            }
            b[p + i] = (byte) c;
        }
        return i == n ? p + n : escapedChars(b, p + i, s, i, n);
    }

    private static int escapedChars(byte[] b, int p, String s, int from, int n) {
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                byte esc = ESCAPES[c];
                if (esc == 0) {
                    b[p++] = (byte) c;
                } else if (esc > 0) {
                    b[p++] = '\\';
                    b[p++] = esc;
                } else {
                    p = unicodeEscape(b, p, c);
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                p = unicodeEscape(b, p, c);
            } else {
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return p;
    }

    private static int unicodeEscape(byte[] b, int p, char c) {
        b[p++] = '\\';
        b[p++] = 'u';
        b[p++] = HEX_UPPER[(c >> 12) & 0xF];
        b[p++] = HEX_UPPER[(c >> 8) & 0xF];
        b[p++] = HEX_UPPER[(c >> 4) & 0xF];
        b[p++] = HEX_UPPER[c & 0xF];
        return p;
    }
}
