package dev.animavault.spi;

import java.time.Instant;
import java.nio.charset.StandardCharsets;

/**
 * Formats instants exactly as {@link Instant#toString()} does (ISO-8601 in UTC, {@code Z} suffix, the
 * fraction as 0, 3, 6 or 9 digits), several times faster for instants in the years 1000 to 9999: digits
 * are written straight into one array (civil date from the epoch day by Howard Hinnant's algorithm), with
 * no formatter objects. For the code paths that format timestamps on every request (responses, audit
 * lines). Thread-safe.
 */
public final class Timestamps {
    private static final long MIN_SECOND = -30610224000L; // 1000-01-01T00:00:00Z
    private static final long MAX_SECOND = 253402300799L; // 9999-12-31T23:59:59Z

    private Timestamps() {
    }

    /**
     * @param instant not null
     * @return the same text as {@code instant.toString()}
     */
    public static String iso(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds < MIN_SECOND || seconds > MAX_SECOND) {
            return instant.toString(); // other years have another shape (sign, more digits)
        }
        long day = Math.floorDiv(seconds, 86_400L);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
        // days since 1970-01-01 to year/month/day (proleptic Gregorian)
        long z = day + 719_468;
        long era = Math.floorDiv(z, 146_097);
        int doe = (int) (z - era * 146_097);
        int yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int mp = (5 * doy + 2) / 153;
        int dayOfMonth = doy - (153 * mp + 2) / 5 + 1;
        int month = mp < 10 ? mp + 3 : mp - 9;
        int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));

        byte[] out = new byte[30];
        digits(out, 0, year, 4);
        out[4] = '-';
        digits(out, 5, month, 2);
        out[7] = '-';
        digits(out, 8, dayOfMonth, 2);
        out[10] = 'T';
        digits(out, 11, secondOfDay / 3600, 2);
        out[13] = ':';
        digits(out, 14, secondOfDay / 60 % 60, 2);
        out[16] = ':';
        digits(out, 17, secondOfDay % 60, 2);
        int n = 19;
        int nano = instant.getNano();
        if (nano != 0) {
            out[n++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(out, n, nano / 1_000_000, 3);
                n += 3;
            } else if (nano % 1000 == 0) {
                digits(out, n, nano / 1000, 6);
                n += 6;
            } else {
                digits(out, n, nano, 9);
                n += 9;
            }
        }
        out[n++] = 'Z';
        return new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static void digits(byte[] out, int at, int value, int count) {
        for (int i = at + count - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }
}
