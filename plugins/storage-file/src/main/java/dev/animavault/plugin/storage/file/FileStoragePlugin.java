package dev.animavault.plugin.storage.file;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.util.List;
import org.pf4j.Extension;

/** The storage-file plugin's entry point: contributes the {@code file} storage backend. */
@Extension
public final class FileStoragePlugin implements VaultPlugin {

    @Override
    public List<StorageBackendFactory> storageBackends() {
        return List.of(new FileStorageBackendFactory());
    }
}
