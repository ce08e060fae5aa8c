package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageBackendFactory;
import dev.animavault.spi.testkit.TestPluginContext;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The factory's configuration, its error reporting, and loading under a foreign context class loader. */
class JdbcConfigurationTest {

    private static final String SECRET_PASSWORD = "pw-do-not-print-7f3a";

    @TempDir
    Path dataDir;

    private StorageBackend create(Map<String, String> values) {
        return new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", values, Set.of("password")),
                TestPluginContext.denyingEgress(dataDir));
    }

    private VaultException createFails(Map<String, String> values) {
        return assertThrows(VaultException.class, () -> create(values).close());
    }

    @Test
    void pluginContributesOneFactoryNamedJdbcWithItsProperties() throws Exception {
        List<StorageBackendFactory> factories = new JdbcStoragePlugin().storageBackends();
        assertEquals(1, factories.size());
        StorageBackendFactory f = factories.get(0);
        assertEquals("jdbc", f.name());
        Map<String, ConfigProperty> props = f.configProperties().stream()
                .collect(Collectors.toMap(ConfigProperty::name, Function.identity()));
        assertEquals(Set.of("url", "username", "password", "max-pool-size", "connection-timeout", "busy-timeout",
                "sqlite-synchronous", "read-cache", "read-cache-size", "query-timeout", "ssl-mode", "ssl-root-cert",
                "change-poll-interval"), props.keySet());
        assertTrue(props.get("password").sensitive());
        props.values().forEach(p -> assertFalse(p.required(), p.name() + " has a default or is optional"));
        assertEquals("", props.get("url").defaultValue());
        assertEquals(ConfigProperty.Type.DURATION, props.get("connection-timeout").type());
        assertEquals(ConfigProperty.Type.INTEGER, props.get("max-pool-size").type());
        // the index next to the plugin's classes (test classes have an index of their own)
        Path classes = Path.of(JdbcStoragePlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path idx = classes.resolve("META-INF/extensions.idx");
        assertTrue(Files.isRegularFile(idx), "PF4J's extension index is generated");
        assertTrue(Files.readString(idx).lines().anyMatch(JdbcStoragePlugin.class.getName()::equals), Files.readString(idx));
    }

    @Test
    void emptyUrlMeansAnSqliteFileInTheDataDirectory() {
        try (StorageBackend b = create(Map.of())) {
            assertEquals(Protection.NONE, b.protection());
            assertTrue(b.toString().contains(dataDir.resolve("anima-vault.db").toString()), b.toString());
        }
        assertTrue(Files.isRegularFile(dataDir.resolve("anima-vault.db")));
    }

    @Test
    void relativeSqlitePathsResolveAgainstTheDataDirectory() {
        try (StorageBackend b = create(Map.of("url", "jdbc:sqlite:sub/dir/vault.db"))) {
            b.putRecord("ns", "k", new byte[] {1}, 0);
        }
        assertTrue(Files.isRegularFile(dataDir.resolve("sub/dir/vault.db")));
    }

    @Test
    void badSettingsFailWithConfigurationNamingTheKey() {
        assertConfiguration(Map.of("url", "jdbc:mysql://localhost/x"), "url");
        assertConfiguration(Map.of("url", "jdbc:sqlite::memory:"), "url");
        assertConfiguration(Map.of("url", "jdbc:sqlite:file:x.db?mode=memory"), "url");
        assertConfiguration(Map.of("max-pool-size", "0"), "max-pool-size");
        assertConfiguration(Map.of("max-pool-size", "many"), "max-pool-size");
        assertConfiguration(Map.of("connection-timeout", "10ms"), "connection-timeout");
        assertConfiguration(Map.of("connection-timeout", "soon"), "connection-timeout");
        assertConfiguration(Map.of("sqlite-synchronous", "OFF"), "sqlite-synchronous");
    }

    @Test
    void badReadCacheSettingsFailWithConfigurationNamingTheKeyAndTheAllowedValues() {
        for (String bad : List.of("yes", "true", "", "enabled")) {
            VaultException e = createFails(Map.of("read-cache", bad));
            assertEquals(ErrorCode.CONFIGURATION, e.errorCode(), e.getMessage());
            assertTrue(e.getMessage().contains("'read-cache'") && e.getMessage().contains("auto, on or off"),
                    e.getMessage());
        }
        assertConfiguration(Map.of("read-cache-size", "0"), "read-cache-size");
        assertConfiguration(Map.of("read-cache-size", "-5"), "read-cache-size");
        assertConfiguration(Map.of("read-cache-size", "lots"), "read-cache-size");
        assertConfiguration(Map.of("read-cache-size", "10000001"), "read-cache-size");
        assertFalse(Files.exists(dataDir.resolve("anima-vault.db.lock")), "refused before locking anything");
    }

    @Test
    void readCacheOnIsRefusedForPostgresBeforeConnecting() {
        // port 1: nothing listens there, so the refusal comes from the settings, not from a connection
        VaultException e = createFails(Map.of("url", "jdbc:postgresql://127.0.0.1:1/animavault", "read-cache", "on"));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode(), e.getMessage());
        assertTrue(e.getMessage().contains("'read-cache'") && e.getMessage().contains("PostgreSQL"), e.getMessage());
        VaultException upper = createFails(Map.of("url", "jdbc:postgresql://127.0.0.1:1/animavault", "read-cache", " ON "));
        assertEquals(ErrorCode.CONFIGURATION, upper.errorCode(), upper.getMessage());
    }

    @Test
    void readCacheDefaultsToOnForSqliteAndOffForPostgres() {
        JdbcSettings sqlite = JdbcSettings.from(ProviderConfig.empty("jdbc"), TestPluginContext.denyingEgress(dataDir));
        assertTrue(sqlite.readCache());
        assertEquals(10_000, sqlite.readCacheSize());
        JdbcSettings pg = JdbcSettings.from(ProviderConfig.of("jdbc", Map.of("url", "jdbc:postgresql://127.0.0.1:1/x"),
                Set.of()), TestPluginContext.denyingEgress(dataDir));
        assertFalse(pg.readCache(), "auto is off for PostgreSQL");
        JdbcSettings pgOff = JdbcSettings.from(ProviderConfig.of("jdbc", Map.of("url", "jdbc:postgresql://127.0.0.1:1/x",
                "read-cache", "off"), Set.of()), TestPluginContext.denyingEgress(dataDir));
        assertFalse(pgOff.readCache());
        JdbcSettings sized = JdbcSettings.from(ProviderConfig.of("jdbc", Map.of("read-cache", "On",
                "read-cache-size", "1"), Set.of()), TestPluginContext.denyingEgress(dataDir));
        assertTrue(sized.readCache());
        assertEquals(1, sized.readCacheSize());

        try (JdbcStorageBackend on = (JdbcStorageBackend) create(Map.of())) {
            assertTrue(on.readCache() != null, "SQLite caches by default");
            assertTrue(Files.isRegularFile(dataDir.resolve("anima-vault.db.lock")), "and locks its file");
        }
        try (JdbcStorageBackend off = (JdbcStorageBackend) create(Map.of("url", "jdbc:sqlite:other.db",
                "read-cache", "off"))) {
            assertTrue(off.readCache() == null);
            assertFalse(Files.exists(dataDir.resolve("other.db.lock")), "no cache, no lock");
        }
        String url = PostgresTestServer.freshSchemaUrl();
        try (JdbcStorageBackend postgres = (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                PostgresTestServer.config(url, Map.of()), TestPluginContext.denyingEgress(dataDir))) {
            assertTrue(postgres.readCache() == null, "PostgreSQL does not cache by default");
        } finally {
            PostgresTestServer.dropSchema(url);
        }
    }

    private void assertConfiguration(Map<String, String> values, String key) {
        VaultException e = createFails(values);
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode(), e.getMessage());
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
    }

    @Test
    void settingsAndUrlsNeverPrintPasswords() {
        JdbcSettings s = JdbcSettings.from(ProviderConfig.of("jdbc", Map.of("url",
                "jdbc:postgresql://127.0.0.1:5432/db?user=u&password=" + SECRET_PASSWORD + "&ssl=false",
                "password", SECRET_PASSWORD), Set.of("password")), TestPluginContext.denyingEgress(dataDir));
        assertFalse(s.toString().contains(SECRET_PASSWORD), s.toString());
        assertTrue(s.toString().contains("<masked>"));
        assertEquals("jdbc:postgresql://127.0.0.1:5432/db?user=u&password=<masked>&ssl=false", s.redactedUrl());
        assertEquals("jdbc:postgresql://u:<masked>@host/db", JdbcUrls.redact("jdbc:postgresql://u:" + SECRET_PASSWORD + "@host/db"));
    }

    @Test
    void unreachablePostgresIsStorageUnavailableNamingTheUrlWithoutPassword() {
        Map<String, String> values = new HashMap<>();
        values.put("url", "jdbc:postgresql://127.0.0.1:1/animavault?password=" + SECRET_PASSWORD);
        values.put("username", "someone");
        values.put("password", SECRET_PASSWORD);
        values.put("connection-timeout", "1s");
        VaultException e = createFails(values);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("jdbc:postgresql://127.0.0.1:1/animavault?password=<masked>"), e.getMessage());
        assertTrue(e.getMessage().contains("someone"), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void wrongPostgresPasswordIsStorageUnavailableWithoutThePassword() {
        PostgresTestServer.Server server = PostgresTestServer.get();
        Map<String, String> values = new HashMap<>();
        values.put("url", server.url());
        values.put("username", server.user() == null ? "animavault" : server.user());
        values.put("password", SECRET_PASSWORD);
        values.put("connection-timeout", "2s");
        VaultException e = createFails(values);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains(server.url()), e.getMessage());
        assertNoPassword(e);
    }

    @Test
    void worksWhenTheContextClassLoaderCannotSeeTheDrivers() throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            t.setContextClassLoader(empty);
            try (StorageBackend sqlite = create(Map.of())) {
                sqlite.putRecord("ns", "k", new byte[] {7}, 0);
                assertEquals(1, sqlite.getRecord("ns", "k").orElseThrow().revision());
            }
            String url = PostgresTestServer.freshSchemaUrl();
            try (StorageBackend pg = new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                    TestPluginContext.denyingEgress(dataDir))) {
                pg.putRecord("ns", "k", new byte[] {7}, 0);
                assertEquals(1, pg.getRecord("ns", "k").orElseThrow().revision());
            }
            PostgresTestServer.dropSchema(url);
            assertTrue(t.getContextClassLoader() == empty, "create restores the caller's context class loader");
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    @Test
    void closedBackendRefusesWorkWithStorageUnavailable() {
        StorageBackend b = create(Map.of());
        b.close();
        VaultException e = assertThrows(VaultException.class, () -> b.getRecord("ns", "k"));
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
    }

    @Test
    void badCursorsAndRecordNamesAreInvalidArguments() {
        try (StorageBackend b = create(Map.of())) {
            VaultException cursor = assertThrows(VaultException.class,
                    () -> b.listRecords("ns", dev.animavault.spi.PageRequest.after(10, "!!not-base64!!")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, cursor.errorCode());
            VaultException ns = assertThrows(VaultException.class, () -> b.putRecord("Bad Namespace", "k", new byte[0], 0));
            assertEquals(ErrorCode.INVALID_ARGUMENT, ns.errorCode());
            VaultException key = assertThrows(VaultException.class, () -> b.putRecord("ns", "k".repeat(257), new byte[0], 0));
            assertEquals(ErrorCode.INVALID_ARGUMENT, key.errorCode());
        }
    }

    private static void assertNoPassword(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(SECRET_PASSWORD), "password in: " + t);
        }
    }
}
