package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract against the file backend: a fresh store directory per test, fsync on. */
class FileStorageContractTest extends StorageBackendContract {

    @TempDir
    Path dataDir;

    @Override
    protected StorageBackend newBackend() {
        return new FileStorageBackendFactory().create(ProviderConfig.of("file", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir));
    }
}
