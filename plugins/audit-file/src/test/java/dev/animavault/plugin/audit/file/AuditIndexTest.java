package dev.animavault.plugin.audit.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The index against a brute-force scan of the same events, across several chunks. */
class AuditIndexTest {
    private static final int CHUNK = 1 << AuditIndex.CHUNK_SHIFT;

    /**
     * Index entries live for the sink's lifetime; on the heap the young collector copied the newest ones
     * again at every pause until they were promoted. Appending must not allocate per event on the heap.
     */
    @Test
    void keepsEntriesOffTheHeap() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AuditEventGenerator generator = new AuditEventGenerator(3, false);
        AuditEvent[] events = new AuditEvent[64];
        for (int i = 0; i < events.length; i++) {
            events[i] = generator.next();
        }
        AuditIndex index = new AuditIndex();
        int n = 20 * CHUNK;
        for (int i = 0; i < CHUNK; i++) { // warm up: first codes of each value, JIT
            index.add(i * 100L, 100, events[i % events.length]);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = CHUNK; i < n; i++) {
            index.add(i * 100L, 100, events[i % events.length]);
        }
        long perEvent = (threads.getCurrentThreadAllocatedBytes() - before) / (n - CHUNK);
        assertEquals(n, index.size());
        assertTrue(perEvent < 2, "heap bytes allocated per indexed event: " + perEvent
                + " (the entries take " + AuditIndex.ENTRY_BYTES + " bytes each, off the heap)");
        assertEquals(n - 1, index.ordinalAt((n - 1) * 100L));
    }

    /**
     * The chunks of a replaced index serve the next one: growing it to the same size allocates no direct
     * memory (a dropped direct buffer waits for a collection of the old generation, which G1 puts off for
     * minutes under a read load), the recycled chunks start cleared, and the replaced index is left empty.
     */
    @Test
    void aRecyclingIndexGrowsIntoTheReplacedOnesChunks() {
        var direct = ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        AuditEventGenerator generator = new AuditEventGenerator(5, false);
        AuditIndex replaced = new AuditIndex();
        int n = 4 * CHUNK;
        for (int i = 0; i < n; i++) {
            replaced.add(i * 100L, 100, generator.next());
        }
        AuditIndex next = new AuditIndex();
        next.recycle(replaced);
        assertTrue(replaced.recycled());
        assertEquals(0, replaced.size());
        assertFalse(next.recycled());
        long before = direct.getMemoryUsed();
        for (int i = 0; i < n; i++) {
            next.add(7 + i * 50L, 50, generator.next());
        }
        long after = direct.getMemoryUsed(); // a collection meanwhile may have freed other tests' buffers
        assertTrue(after <= before, "direct memory allocated for chunks it had to spare: " + (after - before));
        assertEquals(n, next.size());
        assertEquals(n - 1, next.ordinalAt(7 + (n - 1) * 50L));
        assertEquals(-1, next.ordinalAt((n - 1) * 100L), "nothing left of the replaced entries");
        // a recycled chunk is cleared past its last entry (the last chunk is persisted verbatim)
        AuditIndex third = new AuditIndex();
        third.recycle(next);
        AuditIndex fresh = new AuditIndex();
        AuditEvent e = generator.next();
        third.add(5L, 10, e);
        fresh.add(5L, 10, e);
        ByteBuffer recycledChunk = third.chunksInUse()[0];
        assertEquals(5L, recycledChunk.getLong(0));
        assertEquals(-1, recycledChunk.mismatch(fresh.chunksInUse()[0]), "a recycled chunk holds what a new one would");
    }

    /**
     * The open segment's index file is read into a growable index (its chunks into fresh direct buffers, no
     * mapping): the same entries and dictionaries as the mapped read-only view, it grows past the persisted
     * last chunk, and a file cut short is refused (the segment is then read instead).
     */
    @Test
    void anIndexFileReadForGrowingEqualsTheMappedViewAndGrows(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        AuditEventGenerator generator = new AuditEventGenerator(13, false);
        AuditIndex written = new AuditIndex();
        int n = 2 * CHUNK + 5;
        for (int i = 0; i < n; i++) {
            written.add(i * 100L, 100, generator.next());
        }
        java.nio.file.Path file = dir.resolve("audit.jsonl.idx");
        byte[] head = new byte[32];
        Arrays.fill(head, (byte) 7);
        AuditIndexFile.write(file, 3, n * 100L, head, written);
        AuditIndexFile.Loaded mapped = AuditIndexFile.read(file, false).orElseThrow();
        AuditIndexFile.Loaded growable = AuditIndexFile.read(file, true).orElseThrow();
        assertEquals(3, growable.header().segment());
        assertEquals(n, growable.header().lines());
        assertArrayEquals(head, growable.header().head());
        assertEquals(n, growable.index().size());
        // (the generator's values include lone surrogates, which UTF-8 does not carry: compare with the mapped read)
        assertEquals(mapped.index().dictionaries(), growable.index().dictionaries());
        assertEquals(written.dictionaries().get(3).size(), growable.index().dictionaries().get(3).size());
        ByteBuffer[] a = mapped.index().chunksInUse();
        ByteBuffer[] b = growable.index().chunksInUse();
        assertEquals(a.length, b.length);
        for (int c = 0; c < a.length; c++) {
            assertTrue(b[c].isDirect() && !b[c].isReadOnly(), "chunk " + c);
            assertEquals(0, b[c].position());
            assertEquals(-1, a[c].mismatch(b[c]), "chunk " + c);
            assertEquals(-1, written.chunksInUse()[c].mismatch(b[c]), "chunk " + c);
        }
        for (int i : new int[] {0, CHUNK, n - 1}) {
            assertEquals(i, growable.index().ordinalAt(i * 100L));
        }
        AuditEvent next = generator.next();
        growable.index().add(n * 100L, 100, next);
        assertEquals(n + 1, growable.index().size());
        assertEquals(n, growable.index().ordinalAt(n * 100L));
        assertEquals(n, mapped.index().size(), "the mapped view is not touched");

        byte[] raw = java.nio.file.Files.readAllBytes(file);
        java.nio.file.Files.write(file, Arrays.copyOf(raw, raw.length - 1));
        assertTrue(AuditIndexFile.read(file, true).isEmpty(), "a file cut inside its dictionaries is refused");
        java.nio.file.Files.write(file, Arrays.copyOf(raw, AuditIndexFile.HEADER_BYTES + AuditIndex.CHUNK_BYTES));
        assertTrue(AuditIndexFile.read(file, true).isEmpty(), "a file cut inside its chunks is refused");
    }

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
