package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.IsolatedClassLoader;
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
            Class.forName(PluginRegistry.class.getName(), true, loader); // linked before the checks below
            // (PF4J's manager class itself is loaded when the registry class is linked: only its initialisation is
            // the warm-up's, and that is what loads SLF4J)
            assertFalse(loader.loaded(SLF4J), "loaded before the warm-up: this test would prove nothing");
            // on a thread whose context loader is the isolated one, as in the server, where one loader loads both
            assertEquals(null, loader.callStatic(PluginRegistry.class.getName(), "warmUp", "plugin-warm-up-isolated"));
            assertTrue(loader.loaded(MANAGER), "the warm-up did not load PF4J's plugin manager");
            assertTrue(loader.loaded(SLF4J), "the warm-up did not initialise PF4J's plugin manager (its logger)");
        }
    }
}
