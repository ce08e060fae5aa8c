package dev.animavault.core.migrate;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.barrier.RootKeyIds;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.plugin.Tccl;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkFactory;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The storage backend (and audit sinks) a configuration names, opened the way {@code VaultNode} opens
 * them but without the barrier, tokens or bootstrap: a tool must not create a keyring or an
 * organization in a store it is about to fill. The root key is read, never created.
 */
final class OpenedStore implements AutoCloseable {

    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    final VaultConfig config;
    final RootKey rootKey;
    final String deploymentId;
    final StorageBackend storage;
    /** The audit broker over the configuration's sinks; null when opened without audit. */
    final AuditBroker audit;

    OpenedStore(VaultConfig config, Map<String, String> env, Clock clock, boolean withAudit) {
        this.config = config;
        try {
            if (!env.containsKey(RootKey.ENV) && !Files.isRegularFile(config.rootKeyFile())) {
                throw new VaultException(ErrorCode.CONFIGURATION, "no root key at " + config.rootKeyFile()
                        + ": a migration moves ciphertext, so both configurations must use the same root key "
                        + "(copy the key file there, 0600, or point vault.root-key at the source's)");
            }
            this.rootKey = RootKey.loadOrCreate(config.rootKeyFile(), env);
            this.deploymentId = RootKeyIds.deploymentId(rootKey);
            PluginRegistry registry = PluginRegistry.load(config.pluginsDir());
            closeables.push(registry);
            CorePluginContext context = new CorePluginContext(clock, config.dataDir(),
                    new EgressPolicy(config.egressAllow()), deploymentId);
            ProviderSpec spec = config.storage();
            PluginRegistry.Registered<StorageBackendFactory> sf = PluginRegistry.require(registry.storageBackends(),
                    spec.type(), "storage backend", "vault.storage.type");
            ProviderConfig sc = ProviderConfig.validate(sf.factory(), spec.config(), "vault.storage.config");
            this.storage = Tccl.wrap(StorageBackend.class, Tccl.call(sf.loader(), () -> sf.factory().create(sc, context)),
                    sf.loader());
            closeables.push(storage);
            List<AuditSink> sinks = new ArrayList<>();
            if (withAudit) {
                for (int i = 0; i < config.audit().size(); i++) {
                    ProviderSpec a = config.audit().get(i);
                    String where = "vault.audit[" + i + "]";
                    PluginRegistry.Registered<AuditSinkFactory> af = PluginRegistry.require(registry.auditSinks(),
                            a.type(), "audit sink", where + ".type");
                    ProviderConfig ac = ProviderConfig.validate(af.factory(), a.config(), where + ".config");
                    AuditSink sink = Tccl.wrap(AuditSink.class, Tccl.call(af.loader(),
                            () -> af.factory().create(ac, context)), af.loader());
                    closeables.push(sink);
                    sinks.add(sink);
                }
            }
            this.audit = withAudit ? new AuditBroker(sinks, config.auditTimeout()) : null;
            if (audit != null) {
                closeables.push(audit);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    String storageType() {
        return config.storage().type();
    }

    @Override
    public void close() {
        while (!closeables.isEmpty()) {
            try {
                closeables.pop().close();
            } catch (Exception e) {
                // best effort: the tool is ending
            }
        }
    }
}
