package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The index against a brute-force scan of the same events, across several chunks. */
class AuditIndexTest {
    private static final int CHUNK = 1 << AuditIndex.CHUNK_SHIFT;

    @Test
    void answersLikeAScanAcrossChunkBoundaries() {
        AuditEventGenerator generator = new AuditEventGenerator(7, false);
        AuditIndex index = new AuditIndex();
        List<AuditEvent> events = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long offset = 0;
        int n = 3 * CHUNK + 17;
        for (int i = 0; i < n; i++) {
            AuditEvent e = generator.next();
            int length = 100 + (i % 50);
            index.add(offset, length, e);
            events.add(e);
            offsets.add(offset);
            offset += length;
        }
        assertEquals(n, index.size());
        for (int i : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, n - 1}) {
            assertEquals(i, index.ordinalAt(offsets.get(i)), "ordinal " + i);
            assertEquals(-1, index.ordinalAt(offsets.get(i) + 1), "no line starts inside line " + i);
        }
        assertEquals(-1, index.ordinalAt(offset), "no line at the end");
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            AuditEvent probe = events.get(random.nextInt(n));
            if (probe.organizationId() == null) {
                continue;
            }
            String org = probe.organizationId();
            Optional<String> identity = random.nextBoolean() ? Optional.ofNullable(probe.identityId()) : Optional.empty();
            Optional<String> action = random.nextBoolean() ? Optional.of(probe.action()) : Optional.empty();
            var from = random.nextInt(3) == 0 ? Optional.of(probe.timestamp()) : Optional.<java.time.Instant>empty();
            var to = random.nextInt(3) == 0 ? Optional.of(probe.timestamp().plusSeconds(86_400))
                    : Optional.<java.time.Instant>empty();
            AuditQuery q = new AuditQuery(org, identity, action, from, to, PageRequest.first(10));
            int start = random.nextInt(n);
            int limit = 1 + random.nextInt(CHUNK + 100);
            List<Integer> expected = new ArrayList<>();
            boolean more = false;
            for (int i = start; i >= 0; i--) {
                if (q.matches(events.get(i))) {
                    if (expected.size() == limit) {
                        more = true;
                        break;
                    }
                    expected.add(i);
                }
            }
            AuditIndex.Matches m = index.find(q, start, limit);
            assertEquals(expected.size(), m.count(), "round " + round);
            assertEquals(more, m.more(), "round " + round);
            int[] ordinals = Arrays.copyOf(m.ordinals(), m.count());
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ordinals, "round " + round);
            for (int k = 0; k < m.count(); k++) {
                assertEquals(offsets.get(ordinals[k]), m.offsets()[k]);
                assertEquals(100 + (ordinals[k] % 50), m.lengths()[k]);
            }
        }
    }
}
