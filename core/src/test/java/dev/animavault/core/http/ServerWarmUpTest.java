package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: {@link VaultServer#warmUp()} (run by {@code server} on a second thread while the node starts) builds
 * Helidon's parts and throws them away: it must leave nothing running behind and must not disturb the server
 * built afterwards.
 */
class ServerWarmUpTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void warmUpStartsNoThreadAndOpensNothingAndAServerStartsAfterIt() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Thread warm = Thread.ofPlatform().name("http-warm-up-test").start(VaultServer::warmUp);
        warm.join();
        VaultServer.warmUp(); // twice, and on this thread: idempotent
        Set<String> started = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive())
                // the JDK's own helpers (common pool, cleaner) may start at any time in a test JVM
                .filter(t -> !t.getName().startsWith("ForkJoinPool") && !t.getName().contains("Cleaner"))
                .map(Thread::getName)
                .collect(Collectors.toSet());
        assertTrue(started.isEmpty(), "the warm-up left threads running: " + started);

        try (TestVault vault = TestVault.start(tmp)) {
            TestVault.Response health = vault.get("/v1/sys/health", null);
            assertEquals(200, health.status(), health.body());
            assertEquals(404, vault.get("/warm-up", null).status(), "the warm-up's routes are not the server's");
        }
    }
}
