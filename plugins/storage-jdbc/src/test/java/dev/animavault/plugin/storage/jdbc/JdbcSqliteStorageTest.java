package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract against the SQLite dialect: a fresh database file per test, default settings,
 * so with the read cache on. {@link JdbcSqliteStorageVariantsTest} runs it without the cache and with a
 * tiny one.
 */
class JdbcSqliteStorageTest extends StorageBackendContract {

    @TempDir
    Path dataDir;

    @Override
    protected StorageBackend newBackend() {
        StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir));
        if (((JdbcStorageBackend) b).readCache() == null) {
            b.close();
            throw new AssertionError("the default SQLite backend should cache reads");
        }
        return b;
    }
}
