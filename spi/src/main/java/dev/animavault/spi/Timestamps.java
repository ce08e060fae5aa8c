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
    /** The most bytes {@link #iso(Instant, byte[], int)} writes. */
    public static final int MAX_BYTES = 30;
    private static final long MIN_SECOND = -30610224000L; // 1000-01-01T00:00:00Z
    private static final long MAX_SECOND = 253402300799L; // 9999-12-31T23:59:59Z

    private Timestamps() {
    }

    /**
     * @param instant not null
     * @return the same text as {@code instant.toString()}
     */
    public static String iso(Instant instant) {
        byte[] out = new byte[MAX_BYTES];
        int n = iso(instant, out, 0);
        return n < 0 ? instant.toString() : new String(out, 0, n, StandardCharsets.ISO_8859_1);
    }

    /**
     * Writes the text of {@link #iso(Instant)} as ASCII bytes into {@code out} from {@code at}, for writers
     * that build a response in a byte array (no {@code String} per timestamp). Added for the listings
     * (issue 19).
     *
     * @param instant not null
     * @param out room for {@link #MAX_BYTES} bytes from {@code at}
     * @return the index after the last byte written, or -1 (nothing written) for an instant outside the years
     *     1000 to 9999, whose text has another shape: use {@code instant.toString()} for those
     */
    public static int iso(Instant instant, byte[] out, int at) {
        long seconds = instant.getEpochSecond();
        if (seconds < MIN_SECOND || seconds > MAX_SECOND) {
            return -1; // other years have another shape (sign, more digits)
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

        digits(out, at, year, 4);
        out[at + 4] = '-';
        digits(out, at + 5, month, 2);
        out[at + 7] = '-';
        digits(out, at + 8, dayOfMonth, 2);
        out[at + 10] = 'T';
        digits(out, at + 11, secondOfDay / 3600, 2);
        out[at + 13] = ':';
        digits(out, at + 14, secondOfDay / 60 % 60, 2);
        out[at + 16] = ':';
        digits(out, at + 17, secondOfDay % 60, 2);
        int n = at + 19;
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
        return n;
    }

    private static void digits(byte[] out, int at, int value, int count) {
        for (int i = at + count - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }
}
