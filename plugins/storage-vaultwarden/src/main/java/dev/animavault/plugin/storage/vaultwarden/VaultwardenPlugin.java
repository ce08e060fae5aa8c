package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin's entry point: contributes the {@code vaultwarden} storage backend. */
@Extension
public final class VaultwardenPlugin implements VaultPlugin {
    @Override
    public List<StorageBackendFactory> storageBackends() {
        return List.of(new VaultwardenStorageFactory());
    }
}
