package dev.animavault.core.audit.verify;

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
import dev.animavault.spi.audit.VerifiableAuditSink;
import java.time.Clock;
import java.util.List;

/**
 * Verifies the trail a configured audit sink keeps itself (e.g. the {@code jdbc} sink's rows): opens the
 * sink from the vault's configuration the way a node would (its plugin, its validated settings), asks it
 * to {@link VerifiableAuditSink#verifyTrail() verify every chain}, and closes it. The sink is never
 * written to; opening it may create its tables where they do not exist yet.
 */
final class SinkTrailVerifier {
    private SinkTrailVerifier() {
    }

    /**
     * @param type the sink type as configured in {@code vault.audit[].type}
     * @throws VaultException {@code CONFIGURATION} when no such sink is configured or it cannot verify
     */
    static List<VerifiableAuditSink.ChainVerification> verify(VaultConfig config, String type) {
        List<ProviderSpec> audit = config.audit();
        int at = -1;
        for (int i = 0; i < audit.size(); i++) {
            if (audit.get(i).type().equals(type)) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            throw new VaultException(ErrorCode.CONFIGURATION, "vault.audit has no sink of type '" + type
                    + "' (configured: " + audit.stream().map(ProviderSpec::type).toList() + ")");
        }
        ProviderSpec spec = audit.get(at);
        try (PluginRegistry registry = PluginRegistry.load(config.pluginsDir())) {
            PluginRegistry.Registered<AuditSinkFactory> af = PluginRegistry.require(registry.auditSinks(), type,
                    "audit sink", "vault.audit[" + at + "].type");
            ProviderConfig pc = ProviderConfig.validate(af.factory(), spec.config(), "vault.audit[" + at + "].config");
            CorePluginContext context = new CorePluginContext(Clock.systemUTC(), config.dataDir(),
                    new EgressPolicy(config.egressAllow()), "audit-verify");
            AuditSink sink = Tccl.wrap(AuditSink.class, Tccl.call(af.loader(), () -> af.factory().create(pc, context)),
                    af.loader());
            try (sink) {
                if (!(sink instanceof VerifiableAuditSink v)) {
                    throw new VaultException(ErrorCode.CONFIGURATION, "audit sink '" + type + "' cannot verify its "
                            + "own trail; for the file sink pass its files or directory instead");
                }
                return v.verifyTrail();
            }
        }
    }
}
