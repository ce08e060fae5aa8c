package dev.animavault.core.http;

import dev.animavault.spi.Timestamps;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

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
    /** Chars a string is written in at a time: room for the worst case of a chunk is made once. */
    private static final int CHUNK = 256;

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

    private static final long MIN_SECOND = -30610224000L; // 1000-01-01T00:00:00Z
    private static final long MAX_SECOND = 253402300799L; // 9999-12-31T23:59:59Z
    /** The tens and the ones digit of 0..99, for the time of day. */
    private static final byte[] DIGIT_TENS = new byte[100];
    private static final byte[] DIGIT_ONES = new byte[100];

    static {
        for (int i = 0; i < 100; i++) {
            DIGIT_TENS[i] = (byte) ('0' + i / 10);
            DIGIT_ONES[i] = (byte) ('0' + i % 10);
        }
    }

    private byte[] buf;
    private int len;
    /** {@code yyyy-MM-ddT} of {@link #lastDay} (the epoch day of the last instant written) from index 0; lazily. */
    private byte[] date;
    private long lastDay;

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

    /** Appends {@code map} as a JSON object of strings, in its iteration order. */
    JsonBytes stringMap(Map<String, String> map) {
        raw('{');
        boolean first = true;
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (!first) {
                raw(',');
            }
            first = false;
            string(e.getKey()).raw(':').string(e.getValue());
        }
        return raw('}');
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

    /**
     * Appends a quoted, escaped string. The loop works on locals with room made once per {@value #CHUNK}
     * chars for the worst case (6 bytes a char: an escape of a control character), not per char: a listing page
     * writes ~800 strings (issue 19).
     */
    JsonBytes string(String s) {
        ensure(1);
        buf[len++] = '"';
        int n = s.length();
        int i = 0;
        while (i < n) {
            int end = Math.min(n, i + CHUNK);
            ensure(6 * (end - i) + 1); // + 1: a surrogate pair straddling the chunk's end takes 4 bytes for 2 chars
            byte[] b = buf;
            int p = len;
            for (; i < end; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    byte e = ESCAPES[c];
                    if (e == 0) {
                        b[p++] = (byte) c;
                    } else if (e == 'u') {
                        b[p++] = '\\';
                        b[p++] = 'u';
                        b[p++] = '0';
                        b[p++] = '0';
                        b[p++] = HEX[c >> 4];
                        b[p++] = HEX[c & 0xF];
                    } else {
                        b[p++] = '\\';
                        b[p++] = e;
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[p++] = (byte) (0xF0 | (cp >> 18));
                    b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    b[p++] = REPLACEMENT[0];
                    b[p++] = REPLACEMENT[1];
                    b[p++] = REPLACEMENT[2];
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            len = p;
        }
        ensure(1);
        buf[len++] = '"';
        return this;
    }

    /**
     * Appends an instant as a quoted string, the text of {@link Instant#toString()}, with no {@code String}.
     * The date part ({@code yyyy-MM-ddT}) of the last day written is kept and copied for the next instant of
     * the same day (a page's timestamps mostly share a few days), the time of day is written two digits at a
     * time (issue 19: the timestamps were ~4% of a listing page's server CPU).
     */
    JsonBytes instant(Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < MIN_SECOND || seconds > MAX_SECOND) {
            return string(t.toString()); // other years have another shape (sign, more digits)
        }
        long day = Math.floorDiv(seconds, 86_400L);
        int secondOfDay = (int) (seconds - day * 86_400L);
        if (day != lastDay || date == null) {
            byte[] d = date == null ? new byte[Timestamps.MAX_BYTES] : date;
            Timestamps.iso(Instant.ofEpochSecond(day * 86_400L), d, 0); // "yyyy-MM-ddT00:00:00Z"
            date = d;
            lastDay = day;
        }
        ensure(Timestamps.MAX_BYTES + 2);
        byte[] b = buf;
        int at = len;
        b[at++] = '"';
        System.arraycopy(date, 0, b, at, 11);
        at += 11;
        int hour = secondOfDay / 3600;
        int minute = secondOfDay / 60 - hour * 60;
        int second = secondOfDay - (secondOfDay / 60) * 60;
        b[at] = DIGIT_TENS[hour];
        b[at + 1] = DIGIT_ONES[hour];
        b[at + 2] = ':';
        b[at + 3] = DIGIT_TENS[minute];
        b[at + 4] = DIGIT_ONES[minute];
        b[at + 5] = ':';
        b[at + 6] = DIGIT_TENS[second];
        b[at + 7] = DIGIT_ONES[second];
        at += 8;
        int nano = t.getNano();
        if (nano != 0) {
            b[at++] = '.';
            int digits;
            int value;
            if (nano % 1_000_000 == 0) {
                value = nano / 1_000_000;
                digits = 3;
            } else if (nano % 1000 == 0) {
                value = nano / 1000;
                digits = 6;
            } else {
                value = nano;
                digits = 9;
            }
            for (int i = at + digits - 1; i >= at; i--) {
                b[i] = (byte) ('0' + value % 10);
                value /= 10;
            }
            at += digits;
        }
        b[at++] = 'Z';
        b[at++] = '"';
        len = at;
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
