package dev.animavault.spi;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Formats instants exactly as {@link Instant#toString()} does (ISO-8601 in UTC, {@code Z} suffix, the
 * fraction as 0, 3, 6 or 9 digits), several times faster for instants in the years 1000 to 9999: the
 * date-and-seconds part is computed once per second and reused. For the code paths that format a
 * timestamp on every request (responses, audit lines). Thread-safe.
 */
public final class Timestamps {
    /** The last second formatted: a racy single-entry cache (an immutable pair, replaced as a whole). */
    private static volatile Second last = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String prefix) {
    }

    private Timestamps() {
    }

    /**
     * @param instant not null
     * @return the same text as {@code instant.toString()}
     */
    public static String iso(Instant instant) {
        long seconds = instant.getEpochSecond();
        // 1000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: a four-digit year, the shape the prefix assumes
        if (seconds < -30610224000L || seconds > 253402300799L) {
            return instant.toString();
        }
        Second s = last;
        if (s.epochSecond() != seconds) {
            LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
            s = new Second(seconds, String.format("%04d-%02d-%02dT%02d:%02d:%02d", t.getYear(), t.getMonthValue(),
                    t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
            last = s;
        }
        int nano = instant.getNano();
        if (nano == 0) {
            return s.prefix() + 'Z';
        }
        char[] out = new char[s.prefix().length() + 11];
        int n = s.prefix().length();
        s.prefix().getChars(0, n, out, 0);
        out[n++] = '.';
        int digits;
        int value;
        if (nano % 1_000_000 == 0) {
            digits = 3;
            value = nano / 1_000_000;
        } else if (nano % 1000 == 0) {
            digits = 6;
            value = nano / 1000;
        } else {
            digits = 9;
            value = nano;
        }
        for (int i = n + digits - 1; i >= n; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        n += digits;
        out[n++] = 'Z';
        return new String(out, 0, n);
    }
}
