package dev.animavault.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimestampsTest {

    @Test
    void formatsExactlyLikeInstantToString() {
        Instant[] fixed = {
            Instant.EPOCH, Instant.parse("2026-11-25T19:57:16Z"), Instant.parse("2026-11-25T19:57:16.100Z"),
            Instant.parse("2026-11-25T19:57:16.000001Z"), Instant.parse("2026-11-25T19:57:16.000000001Z"),
            Instant.parse("2026-11-25T19:57:16.123456789Z"), Instant.parse("1969-12-31T23:59:59.999Z"),
            Instant.parse("1000-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999999Z"),
            Instant.parse("0999-12-31T23:59:59Z"), Instant.parse("+10000-01-01T00:00:00Z"), Instant.MIN, Instant.MAX,
        };
        for (Instant i : fixed) {
            assertEquals(i.toString(), Timestamps.iso(i));
            Instant later = i.compareTo(Instant.MAX.minusSeconds(86_400)) < 0 ? i.plusSeconds(86_399) : i;
            assertEquals(later.toString(), Timestamps.iso(later));
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < 200_000; n++) {
            long seconds = random.nextLong(-40_000_000_000L, 260_000_000_000L);
            int nano = switch (n % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant i = Instant.ofEpochSecond(seconds, nano);
            assertEquals(i.toString(), Timestamps.iso(i));
            Instant sameSecond = Instant.ofEpochSecond(seconds, random.nextInt(1_000_000_000));
            assertEquals(sameSecond.toString(), Timestamps.iso(sameSecond));
        }
    }

    @Test
    void writesTheSameBytesAtAnOffset() {
        byte[] out = new byte[40];
        Instant t = Instant.parse("2026-12-06T05:40:43.123456Z");
        int end = Timestamps.iso(t, out, 5);
        assertEquals(t.toString(), new String(out, 5, end - 5, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(-1, Timestamps.iso(Instant.parse("+10000-01-01T00:00:00Z"), out, 0));
    }
}
