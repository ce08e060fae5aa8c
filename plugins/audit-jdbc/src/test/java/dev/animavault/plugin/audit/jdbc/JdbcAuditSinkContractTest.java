package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.testkit.AuditSinkContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The jdbc audit sink on SQLite (the default file in the data directory) against the shared contract. */
class JdbcAuditSinkContractTest extends AuditSinkContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected AuditSink newSink() {
        JdbcAuditSinkFactory factory = new JdbcAuditSinkFactory();
        return factory.create(ProviderConfig.validate(factory, Map.of(), "the test configuration"),
                TestPluginContext.denyingEgress(dataDirectory));
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
