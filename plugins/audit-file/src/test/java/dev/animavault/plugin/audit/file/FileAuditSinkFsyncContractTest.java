package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.testkit.AuditSinkContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The file sink against the shared audit sink contract with {@code fsync} on and a custom path. */
class FileAuditSinkFsyncContractTest extends AuditSinkContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected AuditSink newSink() {
        FileAuditSinkFactory factory = new FileAuditSinkFactory();
        return factory.create(ProviderConfig.validate(factory, Map.of("fsync", "true", "path", "logs/x/vault-audit.log"),
                "the test configuration"), TestPluginContext.denyingEgress(dataDirectory));
    }

    @Override
    protected boolean supportsReopen() {
        return true;
    }

    @Override
    protected AuditSink reopen() {
        return newSink();
    }
}
