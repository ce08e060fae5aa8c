package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write acknowledged by the SQLite backend survives {@code kill -9} of the process: a child JVM
 * writes records and reports each one after {@code putRecord} returned; it is killed with
 * {@link Process#destroyForcibly()} (SIGKILL) mid-stream, and a fresh backend must see every
 * acknowledged record. Checked for both {@code sqlite-synchronous} settings (a process crash leaves
 * the WAL in the OS page cache, so NORMAL survives it too; only FULL also survives power loss, which a
 * test cannot simulate).
 */
class JdbcCrashDurabilityTest {

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @ValueSource(strings = {"FULL", "NORMAL"})
    void acknowledgedWritesSurviveKillDashNine(String synchronous) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SqliteCrashChild.class.getName(),
                dataDir.toString(), synchronous));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long lastAck = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ok ")) {
                    lastAck = Long.parseLong(line.substring(3));
                    if (lastAck >= 150) {
                        break; // the child keeps writing: kill it in the middle of a write
                    }
                }
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        } catch (IOException e) {
            child.destroyForcibly();
            throw e;
        }
        assertTrue(lastAck >= 150, "the child acknowledged only " + (lastAck + 1) + " writes before exiting (exit "
                + child.exitValue() + ")");
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (StorageBackend reopened = new JdbcStorageBackendFactory().create(ProviderConfig.empty("jdbc"),
                TestPluginContext.denyingEgress(dataDir))) {
            for (long n = 0; n <= lastAck; n++) {
                byte[] value = reopened.getRecord("crash", "r" + n)
                        .orElseThrow(() -> new AssertionError("an acknowledged write was lost"))
                        .value();
                assertArrayEquals(("value-" + n).getBytes(StandardCharsets.UTF_8), value, "record r" + n);
            }
        }
    }
}
