package dev.animavault.plugin.audit.jdbc;

import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.testkit.AuditSinkContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The jdbc audit sink on PostgreSQL (a fresh schema per test) against the shared contract. */
class JdbcAuditSinkPostgresContractTest extends AuditSinkContract {
    @TempDir
    Path dataDirectory;
    private PostgresSchema schema;

    @Override
    protected AuditSink newSink() {
        schema = PostgresSchema.create();
        return reopen();
    }

    @Override
    protected boolean supportsReopen() {
        return true;
    }

    @Override
    protected AuditSink reopen() {
        JdbcAuditSinkFactory factory = new JdbcAuditSinkFactory();
        return factory.create(ProviderConfig.validate(factory, schema.config(), "the test configuration"),
                TestPluginContext.denyingEgress(dataDirectory));
    }

    @AfterEach
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }
}
