package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.IsolatedClassLoader;
import dev.animavault.core.TestVault;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: {@link VaultServer#warmUp()} (run by {@code server} on a second thread while it starts the node)
 * builds Helidon's parts and reads and writes a little JSON with the API's
 * mapper, and throws them away: it must leave nothing running behind and must not disturb the server built
 * afterwards. That it does its work at all is seen in a class loader of its own: the server configuration
 * Helidon builds last is loaded there only by the warm-up.
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

    /**
     * Tenth pass: the warm-up makes the root logger's handlers and formats one record with each one's formatter (the
     * first record of a start paid both on the main thread), and publishes nothing.
     */
    @Test
    @Timeout(60)
    void warmUpFormatsARecordWithTheRootHandlersAndPublishesNothing() {
        java.util.concurrent.atomic.AtomicInteger formatted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger published = new java.util.concurrent.atomic.AtomicInteger();
        java.util.logging.Handler counting = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                published.incrementAndGet();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        counting.setFormatter(new java.util.logging.SimpleFormatter() {
            @Override
            public String format(java.util.logging.LogRecord r) {
                formatted.incrementAndGet();
                return super.format(r);
            }
        });
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(counting);
        try {
            VaultServer.warmUp();
        } finally {
            root.removeHandler(counting);
        }
        assertTrue(formatted.get() >= 1, "the warm-up formatted no record with the root handler's formatter");
        assertEquals(0, published.get(), "the warm-up published a record");
    }

    /** The configuration class {@code buildPrototype()} ends with: loaded only once a server's parts are all built. */
    private static final String SERVER_CONFIG = "io.helidon.webserver.WebServerConfig$BuilderBase$WebServerConfigImpl";
    private static final String HTTP1_CONFIG = "io.helidon.webserver.http1.Http1Config$BuilderBase$Http1ConfigImpl";
    /** Loaded only when a mapper reads a JSON tree: the JSON half of the warm-up ran (eighth pass). */
    private static final String JACKSON_TREE_READER = "com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer";

    @Test
    @Timeout(60)
    void warmUpBuildsTheServersParts() throws Exception {
        try (IsolatedClassLoader loader = new IsolatedClassLoader("warm-up-test")) {
            Class.forName(VaultServer.class.getName(), true, loader); // linked before the checks below
            assertFalse(loader.loaded(SERVER_CONFIG), "loaded before the warm-up: this test would prove nothing");
            assertFalse(loader.loaded(HTTP1_CONFIG), "loaded before the warm-up: this test would prove nothing");
            assertFalse(loader.loaded(JACKSON_TREE_READER), "loaded before the warm-up: this test would prove nothing");
            // on a thread whose context loader is the isolated one, as in the server, where one loader loads both
            assertEquals(null, loader.callStatic(VaultServer.class.getName(), "warmUp", "http-warm-up-isolated"));
            assertTrue(loader.loaded(HTTP1_CONFIG), "the warm-up built no HTTP/1.1 configuration");
            assertTrue(loader.loaded(SERVER_CONFIG), "the warm-up built no server configuration");
            assertTrue(loader.loaded(JACKSON_TREE_READER), "the warm-up read no JSON with the API's mapper");
        }
    }
}
