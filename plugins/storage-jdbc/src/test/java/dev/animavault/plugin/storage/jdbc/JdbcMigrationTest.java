package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schema migrations: applied once, recorded, idempotent across restarts, safe when nodes start together. */
class JdbcMigrationTest {

    private static final Instant T = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private static final List<SchemaRow> CURRENT_SCHEMA = List.of(new SchemaRow(1, "init"), new SchemaRow(2, "leases"),
            new SchemaRow(3, "latest_inline"));

    @TempDir
    Path dataDir;

    private JdbcStorageBackend openSqlite() {
        return (JdbcStorageBackend) new JdbcStorageBackendFactory().create(ProviderConfig.empty("jdbc"),
                TestPluginContext.denyingEgress(dataDir));
    }

    @Test
    void sqliteReopenKeepsDataAndDoesNotReapply() {
        try (JdbcStorageBackend b = openSqlite()) {
            writeSample(b, "org-1");
            assertEquals(CURRENT_SCHEMA, schemaRows(b.writer()));
        }
        try (JdbcStorageBackend b = openSqlite()) {
            assertSample(b, "org-1");
            assertEquals(CURRENT_SCHEMA, schemaRows(b.writer()), "nothing re-applied");
            assertEquals(List.of(), new SchemaMigrator(Dialect.SQLITE, java.time.Clock.systemUTC()).migrate(b.writer()),
                    "a current schema needs no migration");
            long recorded = b.writer().withHandle(h -> h.createQuery("SELECT checksum FROM schema_version WHERE version = 1")
                    .mapTo(Long.class).one());
            SchemaMigrator m = new SchemaMigrator(Dialect.SQLITE, java.time.Clock.systemUTC());
            assertEquals(SchemaMigrator.checksum(m.script(SchemaMigrator.MIGRATIONS.get(0))), recorded);
        }
    }

    @Test
    void aRestartOnACurrentSchemaChecksItWithOnePlainQueryAndSetsUpNoJdbi() throws Exception {
        SchemaMigrator m = new SchemaMigrator(Dialect.SQLITE, java.time.Clock.systemUTC());
        org.sqlite.SQLiteDataSource empty = new org.sqlite.SQLiteDataSource();
        empty.setUrl("jdbc:sqlite:" + dataDir.resolve("empty.db"));
        assertFalse(m.isCurrent(empty), "no schema_version table: not current");
        try (JdbcStorageBackend b = openSqlite()) {
            assertTrue(b.jdbiMade(), "the first start migrates through Jdbi");
            assertTrue(m.isCurrent(b.writePool()));
        }
        try (JdbcStorageBackend b = openSqlite()) {
            assertFalse(b.jdbiMade(), "a restart on a current schema does not set Jdbi up");
            // core lists organizations while it starts: on the plain JDBC path too
            assertTrue(b.listRecords("orgs", PageRequest.first(1)).items().isEmpty());
            assertFalse(b.jdbiMade(), "listing records needs no Jdbi");
            b.probe(); // the health check's probe, right after a start
            assertFalse(b.jdbiMade(), "the health probe needs no Jdbi");
            b.writer().useHandle(h -> h.execute("UPDATE schema_version SET checksum = checksum + 1 WHERE version = 2"));
            assertFalse(m.isCurrent(b.writePool()), "a changed checksum is for the migrator to report");
            b.writer().useHandle(h -> h.execute("UPDATE schema_version SET checksum = checksum - 1 WHERE version = 2"));
            assertTrue(m.isCurrent(b.writePool()));
            b.writer().useHandle(h -> h.execute("INSERT INTO schema_version (version, description, checksum, "
                    + "installed_at) VALUES (99, 'future', 0, 0)"));
            assertFalse(m.isCurrent(b.writePool()), "a newer version is for the migrator to report");
        }
    }

    @Test
    void sqliteConnectionsUseWalFullSyncForeignKeysAndImmediateWrites() throws IOException {
        try (JdbcStorageBackend b = openSqlite()) {
            assertEquals("wal", b.writer().withHandle(h -> h.createQuery("PRAGMA journal_mode").mapTo(String.class).one()));
            assertEquals(2, pragma(b, "synchronous"),
                    "synchronous=FULL");
            assertEquals(1, pragma(b, "foreign_keys"));
            assertEquals(5000, pragma(b, "busy_timeout"));
            // the writer's larger page cache and rarer auto-checkpoint (fewer system calls in its serial turn)
            assertEquals(-JdbcStorageBackendFactory.WRITER_CACHE_KIB, pragma(b, "cache_size"));
            assertEquals(JdbcStorageBackendFactory.WRITER_CHECKPOINT_PAGES, pragma(b, "wal_autocheckpoint"));
            assertTrue(JdbcStorageBackendFactory.WRITER_CHECKPOINT_PAGES > 1000 && JdbcStorageBackendFactory.WRITER_CACHE_KIB > 2000);
        }
        Path db = dataDir.resolve("anima-vault.db");
        assertTrue(Files.isRegularFile(db));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(db), "the database file is private to its owner");
    }

    @Test
    void sqliteNormalSynchronousCanBeChosen() {
        try (JdbcStorageBackend b = (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                ProviderConfig.of("jdbc", Map.of("sqlite-synchronous", "normal"), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            assertEquals(1, pragma(b, "synchronous"));
        }
    }

    @Test
    void sqliteRefusesADatabaseFromANewerPlugin() {
        try (JdbcStorageBackend b = openSqlite()) {
            b.writer().useHandle(h -> h.execute("INSERT INTO schema_version (version, description, checksum, installed_at) "
                    + "VALUES (99, 'future', 0, 0)"));
        }
        VaultException e = assertThrows(VaultException.class, this::openSqlite);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    }

    @Test
    void sqliteRefusesAChangedMigration() {
        try (JdbcStorageBackend b = openSqlite()) {
            b.writer().useHandle(h -> h.execute("UPDATE schema_version SET checksum = 12345 WHERE version = 1"));
        }
        VaultException e = assertThrows(VaultException.class, this::openSqlite);
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
        assertTrue(e.getMessage().contains("V1__init.sql"), e.getMessage());
    }

    @Test
    void sqliteBackendsStartingTogetherMigrateOnce() throws Exception {
        // several processes on one file: only without the read cache, whose lock lets one start (see
        // JdbcReadCacheLockTest)
        List<JdbcStorageBackend> opened = startTogether(4, () -> (JdbcStorageBackend) new JdbcStorageBackendFactory()
                .create(ProviderConfig.of("jdbc", Map.of("read-cache", "off"), Set.of()),
                        TestPluginContext.denyingEgress(dataDir)));
        try {
            assertEquals(CURRENT_SCHEMA, schemaRows(opened.get(0).writer()));
            writeSample(opened.get(1), "org-2");
            assertSample(opened.get(3), "org-2");
        } finally {
            opened.forEach(JdbcStorageBackend::close);
        }
    }

    @Test
    void everyMigrationScriptIsRegisteredForEveryDialect() throws Exception {
        List<String> registered = SchemaMigrator.MIGRATIONS.stream().map(SchemaMigrator.Migration::fileName).toList();
        for (Dialect d : Dialect.values()) {
            Path folder = Path.of(JdbcMigrationTest.class.getClassLoader().getResource(d.migrationFolder()).toURI());
            try (Stream<Path> files = Files.list(folder)) {
                assertEquals(registered.stream().sorted().toList(),
                        files.map(p -> p.getFileName().toString()).sorted().toList(), d + " scripts");
            }
        }
        for (int i = 0; i < SchemaMigrator.MIGRATIONS.size(); i++) {
            assertEquals(i + 1, SchemaMigrator.MIGRATIONS.get(i).version(), "versions are 1, 2, 3, ... in order");
        }
    }

    @Test
    void postgresNodesStartingTogetherMigrateOnceAndReopenKeepsData() throws Exception {
        String url = PostgresTestServer.freshSchemaUrl();
        Callable<JdbcStorageBackend> open = () -> (JdbcStorageBackend) new JdbcStorageBackendFactory().create(
                PostgresTestServer.config(url, Map.of("max-pool-size", "2")), TestPluginContext.denyingEgress(dataDir));
        List<JdbcStorageBackend> nodes = startTogether(4, open);
        try {
            assertEquals(CURRENT_SCHEMA, schemaRows(nodes.get(0).writer()));
            writeSample(nodes.get(2), "org-pg");
            assertSample(nodes.get(1), "org-pg");
        } finally {
            nodes.forEach(JdbcStorageBackend::close);
        }
        try (JdbcStorageBackend again = open.call()) {
            assertSample(again, "org-pg");
            assertEquals(CURRENT_SCHEMA, schemaRows(again.writer()));
        }
        PostgresTestServer.dropSchema(url);
    }

    // ---------------------------------------------------------------- helpers

    private static int pragma(JdbcStorageBackend b, String name) {
        return b.writer().withHandle(h -> h.createQuery("PRAGMA " + name).mapTo(Integer.class).one());
    }

    private record SchemaRow(int version, String description) {
    }

    private static List<SchemaRow> schemaRows(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT version, description FROM schema_version ORDER BY version")
                .map((rs, ctx) -> new SchemaRow(rs.getInt(1), rs.getString(2))).list());
    }

    private static <T> List<T> startTogether(int n, Callable<T> open) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(open));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void writeSample(StorageBackend b, String org) {
        b.createIdentity(new Identity(org, "agent_1", "Agent", Map.of("team", "x"), false, T, T, 0));
        SecretRef ref = new SecretRef(org, "agent_1", "KEY");
        b.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), T, T, 0),
                new SecretVersion(ref, 1, new byte[] {0, 1, 2, (byte) 0xff}, T, "test"));
        b.putRecord("tokens", org, "payload".getBytes(StandardCharsets.UTF_8), 0);
    }

    private static void assertSample(StorageBackend b, String org) {
        assertEquals(Map.of("team", "x"), b.getIdentity(org, "agent_1").orElseThrow().metadata());
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff},
                b.readSecret(new SecretRef(org, "agent_1", "KEY"), OptionalInt.empty()).orElseThrow().version().value());
        StoredRecord r = b.getRecord("tokens", org).orElseThrow();
        assertArrayEquals("payload".getBytes(StandardCharsets.UTF_8), r.value());
        assertEquals(1, b.listIdentities(org, PageRequest.first(10)).items().size());
    }
}
