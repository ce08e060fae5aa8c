package dev.animavault.plugin.audit.otel;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.util.List;
import org.pf4j.Extension;

/** The {@code audit-otel} plugin: one audit sink factory, {@code otel}. */
@Extension
public final class OtelAuditPlugin implements VaultPlugin {

    @Override
    public List<AuditSinkFactory> auditSinks() {
        return List.of(new OtelAuditSinkFactory());
    }
}
