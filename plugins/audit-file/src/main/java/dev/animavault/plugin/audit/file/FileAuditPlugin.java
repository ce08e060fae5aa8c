package dev.animavault.plugin.audit.file;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.audit.AuditSinkFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin entry point: contributes the {@code file} audit sink. */
@Extension
public final class FileAuditPlugin implements VaultPlugin {

    @Override
    public List<AuditSinkFactory> auditSinks() {
        return List.of(new FileAuditSinkFactory());
    }
}
