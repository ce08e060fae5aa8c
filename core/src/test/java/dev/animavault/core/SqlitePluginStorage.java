package dev.animavault.core;

import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Test fixture: the real SQLite storage plugin, loaded through PF4J from the bundled plugin zips (see
 * {@link TestVault#pluginsDir}), with its database under a test's temporary folder and no vault around it.
 * Open one per test; {@link #close()} closes the backend, then the plugins.
 */
public final class SqlitePluginStorage implements AutoCloseable {
    public final PluginRegistry registry;
    public final StorageBackend storage;

    public SqlitePluginStorage(Path tmp) {
        registry = PluginRegistry.load(TestVault.pluginsDir(tmp));
        storage = registry.storageBackends().get("jdbc").factory().create(ProviderConfig.empty("jdbc"),
                new CorePluginContext(Clock.systemUTC(), tmp, new EgressPolicy(List.of()), "dep_test"));
    }

    @Override
    public void close() {
        storage.close();
        registry.close();
    }
}
