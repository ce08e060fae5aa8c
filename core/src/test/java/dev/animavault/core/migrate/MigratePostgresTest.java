package dev.animavault.core.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.plugin.PluginRegistry;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migration through PostgreSQL: SQLite -> PostgreSQL (a fresh schema of its own on the test server of
 * {@code scripts/postgres.sh}) -> file, every value and version served by the last vault. Skipped when
 * {@code ANIMA_TEST_PG_URL} is not set (required in CI).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class MigratePostgresTest {

    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int SECRETS = 300;

    @TempDir
    Path tmp;

    @Test
    void sqliteToPostgresToFile() throws Exception {
        String url = System.getenv("ANIMA_TEST_PG_URL");
        if (url == null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must run the PostgreSQL migration test: ANIMA_TEST_PG_URL is not set");
        }
        Assumptions.assumeTrue(url != null, "ANIMA_TEST_PG_URL not set (eval \"$(scripts/postgres.sh env)\")");
        String user = System.getenv("ANIMA_TEST_PG_USER");
        String password = System.getenv("ANIMA_TEST_PG_PASSWORD");

        Path a = tmp.resolve("a");
        Map<String, String> expected = new HashMap<>();
        String agentToken;
        try (TestVault va = TestVault.start(a)) {
            assertEquals(201, va.post("/v1/identities", OWNER, "{\"id\":\"agent_0\"}").status());
            for (int i = 0; i < SECRETS; i++) {
                String key = "KEY_" + i;
                assertEquals(201, va.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_0",
                        "key", key, "value", MigrateCommandTest.value(i, 1), "type", "api_key"))).status());
                expected.put("agent_0/" + key + "@1", MigrateCommandTest.value(i, 1));
                if (i % 5 == 0) {
                    for (int v = 2; v <= 3; v++) {
                        va.put("/v1/vault/secrets/agent_0/" + key, OWNER,
                                TestVault.json(Map.of("value", MigrateCommandTest.value(i, v))));
                        expected.put("agent_0/" + key + "@" + v, MigrateCommandTest.value(i, v));
                    }
                }
            }
            agentToken = va.post("/v1/identities/agent_0/tokens", OWNER, "{}").json().get("token").asText();
        }
        Path plugins = a.resolve("plugins");
        String schema = "i18_migrate_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Driver driver = postgresDriver(plugins);
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        try (Connection c = driver.connect(url, props); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        try {
            String pgUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
            Path b = tmp.resolve("b");
            Path c = tmp.resolve("c");
            Path cfgA = MigrateCommandTest.config(a, plugins, "jdbc");
            Path cfgB = MigrateCommandTest.config(b, plugins, "jdbc", "{url: \"" + pgUrl + "\", username: \"" + user
                    + "\", password: \"" + password + "\"}");
            Path cfgC = MigrateCommandTest.config(c, plugins, "file");
            MigrateCommandTest.copyRootKey(a.resolve("data/root.key"), b);
            MigrateCommandTest.copyRootKey(a.resolve("data/root.key"), c);
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            Migration.Stats toPg = MigrateCommand.run(cfgA, cfgB, List.of(), true, Map.of(), quiet);
            assertEquals(expected.size(), toPg.verified);
            Migration.Stats toFile = MigrateCommand.run(cfgB, cfgC, List.of(), true, Map.of(), quiet);
            assertEquals(expected.size(), toFile.versionsCopied, toFile.toString());
            try (TestVault vc = TestVault.start(c, x -> x.storage(new ProviderSpec("file", Map.of())))) {
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    String[] p = e.getKey().split("[/@]");
                    Response r = vc.get("/v1/vault/secrets/" + p[0] + "/" + p[1] + "?version=" + p[2], agentToken);
                    assertEquals(200, r.status(), r.body());
                    assertEquals(e.getValue(), r.json().get("value").asText());
                }
                Response logs = vc.get("/v1/vault/audit/logs?action=storage.migrate&limit=10", OWNER);
                assertTrue(logs.body().contains("\"from\":\"jdbc\""), logs.body());
            }
        } finally {
            try (Connection c = driver.connect(url, props); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /** The PostgreSQL driver of the storage-jdbc plugin (core itself has none). */
    private static Driver postgresDriver(Path plugins) throws Exception {
        PluginRegistry registry = PluginRegistry.load(plugins); // kept open: the driver's classes live in it
        ClassLoader loader = registry.storageBackends().get("jdbc").loader();
        return (Driver) Class.forName("org.postgresql.Driver", true, loader).getDeclaredConstructor().newInstance();
    }
}
