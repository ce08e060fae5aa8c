package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.IsolatedClassLoader;
import io.helidon.common.mapper.Mappers;
import io.helidon.service.registry.GlobalServiceRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19 (twelfth pass): the warm-up installs Helidon's global registry without class path discovery, with Helidon's
 * default mappers. Seen in a class loader of its own (the test JVM's global registry may already exist): after the
 * warm-up no discovered service descriptor was loaded, and Helidon's String conversions still work.
 */
class HelidonRegistryTest {
    /** A descriptor only discovery loads (helidon-common-config's {@code service-registry.json}). */
    private static final String DISCOVERED_ONLY = "io.helidon.common.config.ConfigFactory__ServiceDescriptor";
    /** The webserver's request scope feature, added to every server from the registry when discovered. */
    private static final String REQUEST_SCOPE = "io.helidon.webserver.RequestScopeFeatureProvider__ServiceDescriptor";

    @Test
    @Timeout(60)
    void theWarmUpInstallsARegistryWithoutDiscoveryThatStillMaps() throws Exception {
        try (IsolatedClassLoader loader = new IsolatedClassLoader("registry-test")) {
            Class<?> self = Class.forName(HelidonRegistryTest.class.getName(), true, loader);
            assertFalse(loader.loaded("io.helidon.service.registry.GlobalServiceRegistry"),
                    "loaded before the warm-up: this test would prove nothing");
            Object result = loader.callStatic(self.getName(), "warmUpAndMap", "registry-isolated");
            assertEquals(42, result, "Helidon's String to Integer mapper after the warm-up");
            assertTrue(loader.loaded("io.helidon.common.mapper.DefaultMapperProvider__ServiceDescriptor"));
            assertFalse(loader.loaded(DISCOVERED_ONLY), "the registry discovered the class path's services");
            assertFalse(loader.loaded(REQUEST_SCOPE), "the registry discovered the class path's services");
        }
    }

    /** Runs in the isolated loader: the warm-up, then a mapping through the global registry's mappers. */
    static Object warmUpAndMap() {
        VaultServer.warmUp();
        if (!GlobalServiceRegistry.configured()) {
            return "no global registry after the warm-up";
        }
        return Mappers.create().map("42", String.class, Integer.class);
    }
}
