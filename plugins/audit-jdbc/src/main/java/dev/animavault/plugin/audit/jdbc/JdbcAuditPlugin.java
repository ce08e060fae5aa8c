package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.util.List;
import org.pf4j.Extension;

/** The {@code audit-jdbc} plugin: one audit sink factory, {@code jdbc}. */
@Extension
public final class JdbcAuditPlugin implements VaultPlugin {

    @Override
    public List<AuditSinkFactory> auditSinks() {
        return List.of(new JdbcAuditSinkFactory());
    }
}
