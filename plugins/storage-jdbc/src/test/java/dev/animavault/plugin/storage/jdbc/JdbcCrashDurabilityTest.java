package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A write acknowledged by the SQLite backend survives {@code kill -9} of the process, also when
 * concurrent writers share group commits: a child JVM writes records and secrets (created on the
 * writer's kept statements) from {@value #WRITERS} threads and reports each one after it returned; it is killed with
 * {@link Process#destroyForcibly()} (SIGKILL) at a random point mid-stream, and a fresh backend must
 * see every acknowledged record. Repeated for {@code anima.crash.rounds} rounds (2 by default; the
 * 100-round run is {@code bench/sqlite-crash-rounds.sh}) on the same database file, so each round also
 * starts from a database recovered after a kill. Checked for both {@code sqlite-synchronous} settings
 * (a process crash leaves the WAL in the OS page cache, so NORMAL survives it too; only FULL also
 * survives power loss, which a test cannot simulate).
 */
class JdbcCrashDurabilityTest {

    private static final int WRITERS = 16;

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @ValueSource(strings = {"FULL", "NORMAL"})
    void acknowledgedWritesSurviveKillDashNine(String synchronous) throws Exception {
        String only = System.getProperty("anima.crash.sync", "");
        Assumptions.assumeTrue(only.isEmpty() || only.equalsIgnoreCase(synchronous), "anima.crash.sync=" + only);
        int rounds = Integer.getInteger("anima.crash.rounds", 2);
        long acknowledged = 0;
        for (int round = 1; round <= rounds; round++) {
            acknowledged += round(synchronous, "R" + round);
        }
        System.out.printf("kill -9 durability, synchronous=%s: %d rounds, %d acknowledged writes, none lost%n",
                synchronous, rounds, acknowledged);
    }

    /** One child run killed after a random number of acknowledged writes; returns how many it acknowledged. */
    private long round(String synchronous, String prefix) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SqliteCrashChild.class.getName(),
                dataDir.toString(), synchronous, Integer.toString(WRITERS), prefix);
        int killAfter = ThreadLocalRandom.current().nextInt(50, 400);
        long[] last = new long[WRITERS];
        Arrays.fill(last, -1);
        long acks = 0;
        Path stderr = dataDir.resolve("child-" + prefix + ".err");
        Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ok ")) {
                    String[] parts = line.split(" ");
                    int writer = Integer.parseInt(parts[1]);
                    long n = Long.parseLong(parts[2]);
                    assertEquals(last[writer] + 1, n, "writer " + writer + " acknowledges in order");
                    last[writer] = n;
                    if (++acks >= killAfter) {
                        break; // the child keeps writing: kill it in the middle of its writes
                    }
                }
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        } catch (IOException e) {
            child.destroyForcibly();
            throw e;
        }
        if (acks < killAfter) {
            String err = Files.readString(stderr);
            fail("the child acknowledged only " + acks + " writes before exiting (exit " + child.exitValue()
                    + "); its stderr ends with:\n" + err.substring(Math.max(0, err.length() - 3000)));
        }
        Files.deleteIfExists(stderr);
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (StorageBackend reopened = new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", Map.of("read-cache", "off"), Set.of()), TestPluginContext.denyingEgress(dataDir))) {
            for (int w = 0; w < WRITERS; w++) {
                for (long n = 0; n <= last[w]; n++) {
                    String key = SqliteCrashChild.key(prefix, w, n);
                    byte[] value = n % 2 == 0
                            ? reopened.getRecord("crash", key)
                                    .orElseThrow(() -> new AssertionError("an acknowledged write was lost: " + key))
                                    .value()
                            : reopened.readSecret(SqliteCrashChild.secret(key), OptionalInt.empty())
                                    .orElseThrow(() -> new AssertionError("an acknowledged secret was lost: " + key))
                                    .version().value();
                    assertArrayEquals(SqliteCrashChild.value(prefix, w, n), value, key);
                }
            }
        }
        return acks;
    }
}
