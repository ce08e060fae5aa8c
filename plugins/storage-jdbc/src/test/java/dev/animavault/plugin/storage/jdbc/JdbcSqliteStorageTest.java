package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract against the SQLite dialect: a fresh database file per test, default settings. */
class JdbcSqliteStorageTest extends StorageBackendContract {

    @TempDir
    Path dataDir;

    @Override
    protected StorageBackend newBackend() {
        return new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir));
    }
}
