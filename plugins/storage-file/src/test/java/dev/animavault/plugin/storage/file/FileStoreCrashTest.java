package dev.animavault.plugin.storage.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process writing to the store with SIGKILL ({@link Process#destroyForcibly()}) at a random
 * moment during concurrent writes, {@value #ROUNDS} times; after each kill the store opens (the OS lock
 * died with the process), every write the child acknowledged is there byte for byte, every file of the
 * store reads back without an integrity error, and deleted identities stay deleted.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FileStoreCrashTest {

    static final int ROUNDS = 50;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkillAndNothingIsCorrupt() throws Exception {
        Path store = dir.resolve("store");
        long counterFloor = 0;
        int acked = 0;
        int deletedChecked = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process child = ChildProcess.start("write", store.toString(), Integer.toString(round), "4");
            List<String> acks = new ArrayList<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        synchronized (acks) {
                            acks.add(line);
                            acks.notifyAll();
                        }
                    }
                } catch (java.io.IOException e) {
                    // the child died
                }
            });
            synchronized (acks) { // wait for the first acknowledgement, then let it write a little
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (acks.isEmpty() && System.nanoTime() < deadline && child.isAlive()) {
                    acks.wait(100);
                }
            }
            assertFalse(acks.isEmpty() || !acks.get(0).endsWith(" ."), "the child started writing: " + acks);
            Thread.sleep(ThreadLocalRandom.current().nextInt(150, 700));
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);

            try (FileStorageBackend b = FileStorageBackendFactory.open(store, true, Clock.systemUTC())) {
                List<String> lines;
                synchronized (acks) {
                    lines = List.copyOf(acks);
                }
                for (String line : lines) {
                    if (!line.endsWith(" .")) {
                        continue; // cut by the kill
                    }
                    String[] f = line.split(" ");
                    switch (f[0]) {
                        case "I" -> assertTrue(b.getIdentity(FileStoreChild.ORG, f[1]).isPresent(), line);
                        case "S" -> {
                            SecretRef ref = new SecretRef(FileStoreChild.ORG, f[1], f[2]);
                            int v = Integer.parseInt(f[3]);
                            SecretVersion stored = b.readSecret(ref, java.util.OptionalInt.of(v)).orElseThrow(
                                    () -> new AssertionError("lost acknowledged write: " + line)).version();
                            assertArrayEquals(FileStoreChild.value(ref.key(), v), stored.value(), line);
                        }
                        case "C" -> counterFloor = Math.max(counterFloor, Long.parseLong(f[1]));
                        case "D" -> {
                            assertEquals(Optional.empty(), b.getIdentity(FileStoreChild.ORG, f[1]), line);
                            deletedChecked++;
                        }
                        default -> throw new AssertionError("unexpected line " + line);
                    }
                    acked++;
                }
                if (counterFloor > 0) {
                    long counter = Long.parseLong(new String(b.getRecord("crash", "counter").orElseThrow().value(),
                            StandardCharsets.UTF_8));
                    assertTrue(counter >= counterFloor, "counter " + counter + " >= acknowledged " + counterFloor);
                }
                scanEverything(b);
            }
        }
        System.out.printf("crash test: %d rounds, %d acknowledged writes checked (%d deletions)%n", ROUNDS, acked,
                deletedChecked);
        assertTrue(acked > ROUNDS, "the children wrote something");
    }

    /** Reads every identity, secret and version of the store: a damaged file would throw. */
    private static void scanEverything(FileStorageBackend b) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<Identity> ids = b.listIdentities(FileStoreChild.ORG, new PageRequest(100, cursor));
            for (Identity i : ids.items()) {
                Optional<String> c2 = Optional.empty();
                do {
                    Page<SecretMetadata> secrets = b.listSecrets(FileStoreChild.ORG, i.id(), new PageRequest(1000, c2));
                    for (SecretMetadata m : secrets.items()) {
                        for (SecretVersion v : b.listVersions(m.ref())) {
                            assertArrayEquals(FileStoreChild.value(m.ref().key(), v.version()), v.value());
                        }
                    }
                    c2 = secrets.nextCursor();
                } while (c2.isPresent());
            }
            cursor = ids.nextCursor();
        } while (cursor.isPresent());
        b.getRecord("crash", "counter");
    }
}
