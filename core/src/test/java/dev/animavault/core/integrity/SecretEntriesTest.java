package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.integrity.ReplayGuard.Seen;
import org.junit.jupiter.api.Test;

/**
 * The replay guard's primitive table of secrets (issue 19, docs/performance.md "Thirteenth pass: memory"): bounded
 * however many secrets pass through, evicting the least recently used of a full bucket, and keeping the guard's
 * rules (a lower revision does not replace a higher one unless a foreign change was notified).
 */
class SecretEntriesTest {
    @Test
    void staysWithinItsBoundHoweverManySecretsPassThrough() {
        SecretEntries t = new SecretEntries(10_000);
        // 64 stripes of at most 256 slots each: 10,000 rounded up per stripe to a power of two
        int bound = SecretEntries.STRIPES * 256;
        for (long i = 1; i <= 1_000_000; i++) {
            t.see(i * 0x632BE59BD9B4E019L, 7, 1, i);
        }
        assertEquals(bound, t.slots(), "the table grew to its bound and no further");
        assertTrue(t.size() <= bound, "entries " + t.size());
        assertTrue(t.size() >= bound / 2, "most slots in use: " + t.size());
        // the newest secret is there, the first ones were evicted
        assertNotNull(t.get(1_000_000L * 0x632BE59BD9B4E019L));
        assertNull(t.get(0x632BE59BD9B4E019L));
    }

    @Test
    void growsOnlyWithWhatItHolds() {
        SecretEntries t = new SecretEntries(200_000);
        int empty = t.slots();
        assertEquals(SecretEntries.STRIPES * SecretEntries.WAYS, empty);
        for (long i = 1; i <= 1_000; i++) {
            t.see(i * 0x9E3779B97F4A7C15L, 7, 1, i);
        }
        assertEquals(1_000, t.size());
        assertTrue(t.slots() <= 4 * 1_000, "slots " + t.slots());
    }

    @Test
    void aFullBucketEvictsItsLeastRecentlyUsedEntry() {
        // at this bound every stripe is one bucket of WAYS slots
        SecretEntries t = new SecretEntries(SecretEntries.STRIPES * SecretEntries.WAYS);
        assertEquals(SecretEntries.STRIPES * SecretEntries.WAYS, t.slots());
        long[] same = new long[SecretEntries.WAYS + 1];
        int found = 0;
        for (long k = 1; found < same.length; k++) {
            if (SecretEntries.stripeOf(k) == SecretEntries.stripeOf(1)) {
                same[found++] = k;
            }
        }
        for (int i = 0; i < SecretEntries.WAYS; i++) {
            t.see(same[i], 0, 1, 100 + i);
        }
        t.get(same[0]); // used: now the second one is the least recently used
        t.see(same[SecretEntries.WAYS], 0, 1, 999);
        assertNotNull(t.get(same[0]));
        assertNull(t.get(same[1]), "the least recently used one was evicted");
        assertNotNull(t.get(same[SecretEntries.WAYS]));
        assertEquals(SecretEntries.WAYS, t.size());
    }

    @Test
    void keepsTheGuardsRules() {
        SecretEntries t = new SecretEntries(200_000);
        assertNull(t.see(42, 7, 3, 33));
        Seen kept = t.see(42, 7, 2, 22); // older: kept
        assertEquals(new Seen(3, 33, false), kept);
        assertEquals(new Seen(3, 33, false), t.get(42));
        assertEquals(new Seen(3, 33, false), t.see(42, 7, 4, 44)); // newer: replaces, returns the old one
        assertEquals(new Seen(4, 44, false), t.get(42));

        t.markForeign(42);
        assertTrue(t.get(42).foreign());
        assertEquals(new Seen(4, 44, true), t.see(42, 7, 1, 11)); // after a foreign change any revision replaces
        assertEquals(new Seen(1, 11, false), t.get(42));

        t.see(0, 7, 1, 5); // digest 0 is a key like any other
        assertEquals(new Seen(1, 5, false), t.get(0));
        t.see(43, 8, 1, 6);
        t.markAllForeign();
        assertTrue(t.get(0).foreign() && t.get(43).foreign() && t.get(42).foreign());

        t.removeIdentities(d -> d == 7);
        assertNull(t.get(42));
        assertNull(t.get(0));
        assertNotNull(t.get(43));
        assertEquals(new Seen(1, 6, true), t.remove(43));
        assertNull(t.remove(43));
        assertEquals(0, t.size());
        assertFalse(t.slots() > 200_000 * 2);
        assertSame(null, t.get(44));
    }

    @Test
    void aReadRacingWritersAndGrowthSeesWholeEntries() throws Exception {
        // get reads without a lock: it must never return a revision of one write with the tag of another, nor miss
        // an entry that was there all along, while writers replace entries and the stripes grow under it
        SecretEntries t = new SecretEntries(200_000);
        long stable = 0x5DEECE66DL;
        t.see(stable, 1, 1, 31);
        int rounds = 200_000;
        java.util.concurrent.atomic.AtomicReference<String> bad = new java.util.concurrent.atomic.AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            for (long i = 1; i <= rounds; i++) {
                t.see(stable, 1, i + 1, (i + 1) * 31); // the same entry, newer each time
                t.see(i * 0x9E3779B97F4A7C15L, 2, 1, 31); // new entries: the stripes grow
            }
        });
        Thread reader = Thread.ofPlatform().start(() -> {
            long last = 0;
            while (writer.isAlive()) {
                Seen s = t.get(stable);
                if (s == null || s.tag() != s.revision() * 31 || s.revision() < last) {
                    bad.compareAndSet(null, String.valueOf(s) + " after revision " + last);
                    return;
                }
                last = s.revision();
            }
        });
        writer.join();
        reader.join();
        assertNull(bad.get());
        assertEquals(new Seen(rounds + 1, (rounds + 1L) * 31, false), t.get(stable));
    }

    @Test
    void repeatedReadsKeepAnEntryRecentEnoughNotToBeEvicted() {
        // reads refresh the use stamp only when it fell behind: an entry read between writes still outlives the
        // bucket's entries nobody read
        SecretEntries t = new SecretEntries(SecretEntries.STRIPES * SecretEntries.WAYS);
        long[] same = new long[3 * SecretEntries.WAYS];
        int found = 0;
        for (long k = 1; found < same.length; k++) {
            if (SecretEntries.stripeOf(k) == SecretEntries.stripeOf(1)) {
                same[found++] = k;
            }
        }
        t.see(same[0], 0, 1, 1);
        for (int i = 1; i < same.length; i++) {
            assertNotNull(t.get(same[0]), "read before write " + i);
            t.see(same[i], 0, 1, 1); // fills the bucket, then evicts the least recently used
        }
        assertNotNull(t.get(same[0]), "the entry read all along was kept");
        assertNull(t.get(same[1]), "one nobody read was evicted");
    }
}
