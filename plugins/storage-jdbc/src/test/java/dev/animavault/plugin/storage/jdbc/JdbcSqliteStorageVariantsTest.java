package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract against SQLite with the read cache off, and with a cache of two reads (constant
 * eviction). The default (cache on, 10000 reads) is {@link JdbcSqliteStorageTest}.
 */
class JdbcSqliteStorageVariantsTest {

    @Nested
    class ReadCacheOff extends StorageBackendContract {
        @TempDir
        Path dataDir;

        @Override
        protected StorageBackend newBackend() {
            return new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of("read-cache", "off"), Set.of()),
                    TestPluginContext.denyingEgress(dataDir));
        }
    }

    @Nested
    class ReadCacheOfTwo extends StorageBackendContract {
        @TempDir
        Path dataDir;

        @Override
        protected StorageBackend newBackend() {
            return new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc",
                    Map.of("read-cache", "on", "read-cache-size", "2"), Set.of()), TestPluginContext.denyingEgress(dataDir));
        }
    }
}
