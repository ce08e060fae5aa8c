package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.VaultNode;
import dev.animavault.core.config.VaultConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: {@code server} starts the node's background work a few seconds after the listener opens
 * ({@link VaultServer#start(VaultNode, Clock, Duration)}), so that its first polls (which set up storage-jdbc's
 * Jdbi) do not compete with the first requests; a server closed before then never starts it. The root key
 * watcher's platform thread ({@code root-key-watch}) shows whether the background work has started.
 */
class DelayedBackgroundStartTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(60)
    void theBackgroundWorkStartsAfterTheDelayAndNotAtAllWhenTheServerClosesFirst() throws Exception {
        long before = watchers();
        VaultConfig config = VaultConfig.builder(tmp.resolve("data"), TestVault.pluginsDir(tmp))
                .port(0)
                .bootstrapToken(TestVault.OWNER_TOKEN)
                .build();
        try (VaultNode node = VaultNode.start(config, Map.of(), Clock.systemUTC())) {
            VaultServer server = VaultServer.start(node, Clock.systemUTC(), Duration.ofSeconds(2));
            try {
                assertEquals(before, watchers(), "the background work waits for its delay");
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (watchers() == before && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(before + 1, watchers(), "the background work started after its delay");
            } finally {
                server.close();
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (watchers() > before && System.nanoTime() < deadline) {
            Thread.sleep(50); // the closed node's watcher thread ends
        }
        long after = watchers();
        try (VaultNode node = VaultNode.start(config, Map.of(), Clock.systemUTC())) {
            VaultServer server = VaultServer.start(node, Clock.systemUTC(), Duration.ofMillis(500));
            server.close();
            Thread.sleep(1_500);
            assertEquals(after, watchers(), "a server closed before the delay never starts the background work");
        }
    }

    private static long watchers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("root-key-watch"))
                .count();
    }
}
