package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageBackendContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract against a real PostgreSQL 15 server (see {@link PostgresTestServer} for how
 * it is found). All tests of the class share one fresh schema, migrated once by the first backend and
 * found current by the others; the contract keeps tests apart with random organization ids.
 */
class JdbcPostgresStorageTest extends StorageBackendContract {

    private static String url;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void schema() {
        url = PostgresTestServer.freshSchemaUrl();
    }

    @AfterAll
    static void dropSchema() {
        if (url != null) {
            PostgresTestServer.dropSchema(url);
        }
    }

    @Override
    protected StorageBackend newBackend() {
        return new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                TestPluginContext.denyingEgress(dataDir));
    }
}
