package dev.animavault.core.audit.verify;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.barrier.RootKeyIds;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.plugin.Tccl;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.time.Clock;
import java.util.Map;
import javax.crypto.SecretKey;

/**
 * Derives an audit signing key the way a running vault does, for offline tools: opens the configured
 * storage read-only in effect (nothing is created or written: no keyring, no root key file), opens the
 * keyring with the root key, derives the key for one purpose and closes everything. Only the derived key
 * leaves this class.
 */
public final class AuditKeys {
    private AuditKeys() {
    }

    /**
     * @throws VaultException {@code CONFIGURATION} when the vault has no keyring yet or the root key does
     *                        not open it
     */
    public static SecretKey derive(VaultConfig config, Map<String, String> env, String purpose) {
        RootKey rootKey = RootKey.load(config.rootKeyFile(), env);
        if (rootKey.isUnsaved()) {
            throw new VaultException(ErrorCode.CONFIGURATION, "no root key at " + config.rootKeyFile() + " (nor "
                    + RootKey.ENV + "): cannot derive the audit key");
        }
        try (PluginRegistry registry = PluginRegistry.load(config.pluginsDir())) {
            CorePluginContext context = new CorePluginContext(Clock.systemUTC(), config.dataDir(),
                    new EgressPolicy(config.egressAllow()), RootKeyIds.deploymentId(rootKey));
            PluginRegistry.Registered<StorageBackendFactory> sf = PluginRegistry.require(registry.storageBackends(),
                    config.storage().type(), "storage backend", "vault.storage.type");
            ProviderConfig sc = ProviderConfig.validate(sf.factory(), config.storage().config(), "vault.storage.config");
            StorageBackend storage = Tccl.wrap(StorageBackend.class,
                    Tccl.call(sf.loader(), () -> sf.factory().create(sc, context)), sf.loader());
            try (storage) {
                Barrier barrier = Barrier.openExisting(storage, rootKey).orElseThrow(() -> new VaultException(
                        ErrorCode.CONFIGURATION, "storage holds no keyring yet: nothing was ever signed"));
                return barrier.deriveAuditKey(purpose);
            }
        }
    }
}
