package dev.animavault.plugin.storage.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot a serving file store takes for a backup ({@link Snapshots}) is one instant, under a
 * continuous write load straight through the backend (fsync off): three writers each chain
 * {@code k-w-i} v1, {@code k-w-i} v2, record {@code chain/last-w = i}; in the snapshot, with
 * {@code L = last-w}, every {@code k-w-0..L} has both versions and nothing after {@code k-w-(L+1)} exists.
 * A copy file by file while the writers run catches records and secrets of different moments: with the
 * write gate removed from {@link Snapshots} this test failed in 2 of 2 runs.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FileStoreSnapshotTest {

    private static final int WRITERS = 3;

    @TempDir
    Path tmp;

    @Test
    void aSnapshotDuringWritesIsOneInstant() throws Exception {
        Path store = tmp.resolve("store");
        AtomicLongArray rounds = new AtomicLongArray(WRITERS);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Path snapshot = store.resolve(Snapshots.PREFIX + "t1");
        long before;
        long after;
        try (FileStorageBackend b = FileStorageBackendFactory.open(store, false, Clock.systemUTC())) {
            assertTrue(Files.isRegularFile(store.resolve(Snapshots.SERVING)), "the store says it is served");
            b.createIdentity(FileStoreChild.identity("agent"));
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        long revision = 0;
                        for (int i = 0; !stop.get(); i++) {
                            SecretRef ref = new SecretRef(FileStoreChild.ORG, "agent", "k-" + writer + "-" + i);
                            SecretMetadata m = b.createSecret(FileStoreChild.meta(ref, 1), FileStoreChild.version(ref, 1));
                            b.addVersion(FileStoreChild.meta(ref, 2), m.revision(), FileStoreChild.version(ref, 2));
                            revision = b.putRecord("chain", "last-" + writer, ("" + i).getBytes(StandardCharsets.UTF_8),
                                    revision).revision();
                            rounds.incrementAndGet(writer);
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            awaitRounds(rounds, 50);
            before = total(rounds);
            Path request = store.resolve(FileIo.TMP_PREFIX + "request");
            Files.writeString(request, "t1");
            Files.move(request, store.resolve(Snapshots.REQUEST), StandardCopyOption.ATOMIC_MOVE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isRegularFile(snapshot.resolve(Snapshots.DONE)) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(Files.isRegularFile(snapshot.resolve(Snapshots.DONE)), "the snapshot was taken");
            after = total(rounds);
            awaitRounds(rounds, after / WRITERS + 50);
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
            assertEquals(List.of(), failures);
            assertFalse(Files.exists(store.resolve(Snapshots.REQUEST)), "the request is answered");
        }
        assertFalse(Files.exists(store.resolve(Snapshots.SERVING)), "removed at close");
        assertTrue(after > before, "the writers ran while the snapshot was requested and taken");

        // the snapshot, copied out (as the backup does), opens as a store of its own
        Path copy = tmp.resolve("copy");
        try (Stream<Path> s = Files.walk(snapshot)) {
            for (Path p : s.toList()) {
                Path t = copy.resolve(snapshot.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else if (!p.getFileName().toString().equals(Snapshots.DONE)) {
                    Files.copy(p, t);
                }
            }
        }
        long seen = 0;
        try (FileStorageBackend c = FileStorageBackendFactory.open(copy, false, Clock.systemUTC())) {
            for (int w = 0; w < WRITERS; w++) {
                Optional<StoredRecord> last = c.getRecord("chain", "last-" + w);
                int l = last.map(r -> Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8))).orElse(-1);
                for (int j = 0; j <= l; j++) {
                    SecretRef ref = new SecretRef(FileStoreChild.ORG, "agent", "k-" + w + "-" + j);
                    List<SecretVersion> versions = c.listVersions(ref);
                    assertEquals(2, versions.size(), ref.key() + " with last-" + w + " = " + l);
                    assertArrayEquals(FileStoreChild.value(ref.key(), 2), versions.get(1).value());
                }
                SecretRef beyond = new SecretRef(FileStoreChild.ORG, "agent", "k-" + w + "-" + (l + 2));
                assertTrue(c.getSecretMetadata(beyond).isEmpty(), "nothing after the round in flight (last-" + w
                        + " = " + l + ")");
                seen += l + 1;
            }
        }
        assertTrue(seen >= before, "the snapshot holds every round finished before it was requested: " + seen
                + " < " + before);
        System.out.printf("snapshot during writes: %d rounds before the request, %d when taken, %d in it%n", before,
                after, seen);
    }

    private static long total(AtomicLongArray rounds) {
        long n = 0;
        for (int i = 0; i < rounds.length(); i++) {
            n += rounds.get(i);
        }
        return n;
    }

    /** Waits (bounded by the test's timeout) until every writer has finished at least {@code n} rounds. */
    private static void awaitRounds(AtomicLongArray rounds, long n) throws InterruptedException {
        for (int i = 0; i < rounds.length(); i++) {
            while (rounds.get(i) < n) {
                Thread.sleep(5);
            }
        }
    }
}
