package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.spi.storage.Identity;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The memo of listed rows that passed their MAC check: hits only on equal rows, bounded, cleared. */
class VerifiedRowsTest {
    private static final Instant T = Instant.parse("2026-12-06T08:00:00.123456Z");

    private static Identity row(String id, String name, String mac) {
        return new Identity("org", id, name, Map.of("team", "a", IntegrityStorage.FIELD, mac), false, T, T, 3);
    }

    private static Identity served(Identity i) {
        return new Identity(i.organizationId(), i.id(), i.name(), Map.of("team", "a"), i.disabled(), i.createdAt(),
                i.updatedAt(), i.revision());
    }

    @Test
    void onlyAnEqualRowHits() {
        VerifiedRows<Identity, Identity> memo = new VerifiedRows<>(8);
        Identity stored = row("agent_a", "A", "v1.1.0.mac-a");
        Identity out = served(stored);
        assertNull(memo.served(stored, "v1.1.0.mac-a"));
        memo.remember(stored, "v1.1.0.mac-a", out);
        assertNull(memo.served(stored, "v1.1.0.mac-a"), "a row missed once is only noted (the doorkeeper)");
        memo.remember(stored, "v1.1.0.mac-a", out);
        assertSame(out, memo.served(row("agent_a", "A", "v1.1.0.mac-a"), "v1.1.0.mac-a"), "an equal copy hits");
        // the same MAC field with any other field changed: a miss (the caller runs the full check)
        assertNull(memo.served(row("agent_a", "B", "v1.1.0.mac-a"), "v1.1.0.mac-a"));
        assertNull(memo.served(new Identity("org", "agent_a", "A", Map.of("team", "b", IntegrityStorage.FIELD,
                "v1.1.0.mac-a"), false, T, T, 3), "v1.1.0.mac-a"));
        assertNull(memo.served(new Identity("org", "agent_a", "A", Map.of("team", "a", IntegrityStorage.FIELD,
                "v1.1.0.mac-a"), true, T, T, 3), "v1.1.0.mac-a"));
        assertNull(memo.served(new Identity("org", "agent_a", "A", Map.of("team", "a", IntegrityStorage.FIELD,
                "v1.1.0.mac-a"), false, T, T.plusNanos(1000), 3), "v1.1.0.mac-a"));
        assertNull(memo.served(new Identity("org", "agent_a", "A", Map.of("team", "a", IntegrityStorage.FIELD,
                "v1.1.0.mac-a"), false, T, T, 4), "v1.1.0.mac-a"));
        memo.clear();
        assertNull(memo.served(stored, "v1.1.0.mac-a"), "cleared");
    }

    @Test
    void boundedAndNeverWrong() {
        VerifiedRows<Identity, Identity> memo = new VerifiedRows<>(64);
        Identity[] rows = new Identity[1000];
        for (int k = 0; k < rows.length; k++) {
            rows[k] = row("agent_" + k, "n" + k, "v1.1.0.mac-" + k);
            memo.remember(rows[k], "v1.1.0.mac-" + k, served(rows[k]));
            memo.remember(rows[k], "v1.1.0.mac-" + k, served(rows[k]));
        }
        int hits = 0;
        for (int k = 0; k < rows.length; k++) {
            Identity got = memo.served(rows[k], "v1.1.0.mac-" + k);
            if (got != null) {
                hits++;
                assertEquals(served(rows[k]), got);
            }
            // a row never remembered, under this row's MAC field value: never a hit
            assertNull(memo.served(row("agent_" + k, "other", "v1.1.0.mac-" + k), "v1.1.0.mac-" + k));
        }
        assertEquals(true, hits > 0 && hits <= 64, "at most as many rows as slots: " + hits);
        // the last rows remembered are there (the 100 of one page fit in 4,096 slots two-way)
        VerifiedRows<Identity, Identity> big = new VerifiedRows<>(4096);
        for (int k = 0; k < 100; k++) {
            big.remember(rows[k], "v1.1.0.mac-" + k, rows[k]);
            big.remember(rows[k], "v1.1.0.mac-" + k, rows[k]);
        }
        int kept = 0;
        for (int k = 0; k < 100; k++) {
            kept += big.served(rows[k], "v1.1.0.mac-" + k) != null ? 1 : 0;
        }
        assertEquals(true, kept >= 90, "a page's rows stay: " + kept);
    }

    @Test
    void slotsArePowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new VerifiedRows<>(1));
        assertThrows(IllegalArgumentException.class, () -> new VerifiedRows<>(100));
    }
}
