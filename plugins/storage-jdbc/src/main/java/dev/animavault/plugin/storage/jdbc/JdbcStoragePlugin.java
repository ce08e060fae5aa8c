package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.util.List;
import org.pf4j.Extension;

/** The storage-jdbc plugin's entry point: contributes the {@code jdbc} storage backend. */
@Extension
public final class JdbcStoragePlugin implements VaultPlugin {

    @Override
    public List<StorageBackendFactory> storageBackends() {
        return List.of(new JdbcStorageBackendFactory());
    }
}
