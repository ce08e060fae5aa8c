package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ProviderWarmUpTest {

    /** Records its warm-ups; throws from warmUp when configured to. */
    static final class Recording implements AuditSinkFactory {
        final List<String> warmed = new CopyOnWriteArrayList<>();
        final List<ClassLoader> loaders = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "rec";
        }

        @Override
        public List<ConfigProperty> configProperties() {
            return List.of(ConfigProperty.optional("path", ConfigProperty.Type.STRING, "default.log", "a path"),
                    ConfigProperty.optional("fail", ConfigProperty.Type.BOOLEAN, "false", "throw from warmUp"));
        }

        @Override
        public void warmUp(ProviderConfig config) {
            loaders.add(Thread.currentThread().getContextClassLoader());
            if (config.getBoolean("fail", false)) {
                throw new IllegalStateException("warm-up failed");
            }
            warmed.add(config.getString("path", "?"));
        }

        @Override
        public AuditSink create(ProviderConfig config, PluginContext context) {
            throw new UnsupportedOperationException();
        }
    }

    private static final ClassLoader LOADER = new ClassLoader(ProviderWarmUpTest.class.getClassLoader()) { };

    @Test
    void warmsUpTheSelectedProviderWithItsValidatedConfigurationOnAThreadWithThePluginLoader() throws Exception {
        Recording f = new Recording();
        Map<String, PluginRegistry.Registered<AuditSinkFactory>> registry =
                Map.of("rec", new PluginRegistry.Registered<>(f, "rec-plugin", LOADER));
        Thread t = ProviderWarmUp.start(registry, new ProviderSpec("rec", Map.of()));
        assertNotNull(t);
        t.join(10_000);
        assertEquals(List.of("default.log"), f.warmed, "defaults are filled in");
        assertEquals(List.of(LOADER), f.loaders);
        assertTrue(t.isDaemon());
    }

    @Test
    void unknownTypesAndInvalidConfigurationsAreLeftToCreationAndFailuresStayOnTheWarmUpThread() throws Exception {
        Recording f = new Recording();
        Map<String, PluginRegistry.Registered<AuditSinkFactory>> registry =
                Map.of("rec", new PluginRegistry.Registered<>(f, "rec-plugin", LOADER));
        assertNull(ProviderWarmUp.start(registry, new ProviderSpec("other", Map.of())));
        assertNull(ProviderWarmUp.start(registry, new ProviderSpec("rec", Map.of("unknown-key", "x"))));
        Thread t = ProviderWarmUp.start(registry, new ProviderSpec("rec", Map.of("fail", "true")));
        assertNotNull(t);
        t.join(10_000);
        assertTrue(f.warmed.isEmpty());
        assertEquals(List.of(LOADER), f.loaders, "it ran, threw, and the exception was logged, not rethrown");
    }
}
