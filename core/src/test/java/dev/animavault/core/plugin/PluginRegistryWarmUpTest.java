package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.IsolatedClassLoader;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19 (eleventh pass): {@link PluginRegistry#warmUp()}, run by {@code server} on its warm-up thread while the
 * main thread reads the configuration, initialises PF4J's plugin manager and with it SLF4J. Seen in a class loader of
 * its own: SLF4J's {@code LoggerFactory} is loaded there only when the plugin manager's static initialiser ran.
 */
class PluginRegistryWarmUpTest {
    private static final String MANAGER = "org.pf4j.AbstractPluginManager";
    private static final String SLF4J = "org.slf4j.LoggerFactory";

    @Test
    @Timeout(60)
    void warmUpInitialisesPf4jAndSlf4j() throws Exception {
        try (IsolatedClassLoader loader = new IsolatedClassLoader("plugin-warm-up-test")) {
            Class<?> registry = Class.forName(PluginRegistry.class.getName(), true, loader);
            // (PF4J's manager class itself is loaded when the registry class is linked: only its initialisation is
            // the warm-up's, and that is what loads SLF4J)
            assertFalse(loader.loaded(SLF4J), "loaded before the warm-up: this test would prove nothing");
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread warm = Thread.ofPlatform().name("plugin-warm-up-isolated").unstarted(() -> {
                try {
                    registry.getMethod("warmUp").invoke(null);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    failure.set(e);
                }
            });
            warm.setContextClassLoader(loader);
            warm.start();
            warm.join();
            assertEquals(null, failure.get());
            assertTrue(loader.loaded(MANAGER), "the warm-up did not load PF4J's plugin manager");
            assertTrue(loader.loaded(SLF4J), "the warm-up did not initialise PF4J's plugin manager (its logger)");
        }
    }
}
