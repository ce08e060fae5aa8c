package dev.animavault.plugin.storage.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredSecret;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema V3 (the latest version inline in the secret's row) on a database with data written at V2: after the
 * migration every read and listing of the SPI gives what it gave at V2, the moved rows are gone from
 * {@code secret_versions}, and writes go on from there. Both dialects; the V2 database is written with the V1
 * and V2 scripts and plain SQL, as a V2 plugin left it.
 */
class JdbcLatestInlineMigrationTest {

    private static final String ORG = "org-m";
    private static final String AGENT = "agent_1";
    private static final long T0 = 1_700_000_000_000_000L; // micros
    /** ONE: one version. MANY: 1..4, version 2 destroyed, current 4. BACK: 1..3, current rolled back to 2. */
    private static final SecretRef ONE = new SecretRef(ORG, AGENT, "ONE");
    private static final SecretRef MANY = new SecretRef(ORG, AGENT, "MANY");
    private static final SecretRef BACK = new SecretRef(ORG, AGENT, "BACK");

    @TempDir
    Path dataDir;

    @Test
    void sqliteV2DataReadsTheSameAfterV3() throws Exception {
        Path file = dataDir.resolve("anima-vault.db");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Jdbi raw = Jdbi.create("jdbc:sqlite:" + file);
        raw.useHandle(h -> writeV2(h, Dialect.SQLITE));
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            assertMigrated(b, raw);
        }
        // and again after a restart (nothing re-applied)
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            assertEquals(List.of(1, 4), versions(b.listVersions(MANY)));
            assertEquals(List.of(1, 2, 3, 4), versions(b.listVersions(BACK)));
        }
    }

    @Test
    void postgresV2DataReadsTheSameAfterV3() throws Exception {
        String url = PostgresTestServer.freshSchemaUrl();
        PostgresTestServer.Server s = PostgresTestServer.get();
        Jdbi raw = Jdbi.create(url, s.user(), s.password());
        raw.useHandle(h -> writeV2(h, Dialect.POSTGRESQL));
        try (StorageBackend b = new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            assertMigrated(b, raw);
        }
        PostgresTestServer.dropSchema(url);
    }

    // ---------------------------------------------------------------- the V2 database

    private static void writeV2(Handle h, Dialect dialect) {
        SchemaMigrator m = new SchemaMigrator(dialect, java.time.Clock.systemUTC());
        h.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                + "checksum BIGINT NOT NULL, installed_at BIGINT NOT NULL)");
        for (SchemaMigrator.Migration migration : SchemaMigrator.MIGRATIONS.subList(0, 2)) {
            String script = m.script(migration);
            h.createScript(script).executeAsSeparateStatements();
            h.execute("INSERT INTO schema_version (version, description, checksum, installed_at) VALUES (?, ?, ?, 0)",
                    migration.version(), migration.description(), SchemaMigrator.checksum(script));
        }
        h.execute("INSERT INTO identities (org_id, id, name, metadata, disabled, created_at, updated_at, revision) "
                + "VALUES (?, ?, 'Agent', '{}', ?, ?, ?, 1)", ORG, AGENT, false, T0, T0);
        secretRow(h, ONE, 1, 1);
        versionRow(h, ONE, 1);
        secretRow(h, MANY, 4, 4);
        for (int v : new int[] {1, 3, 4}) { // version 2 destroyed
            versionRow(h, MANY, v);
        }
        secretRow(h, BACK, 2, 4); // versions 1..3, then the current one set back to 2
        for (int v = 1; v <= 3; v++) {
            versionRow(h, BACK, v);
        }
    }

    private static void secretRow(Handle h, SecretRef ref, int current, long revision) {
        h.execute("INSERT INTO secrets (org_id, identity_id, secret_key, type, current_version, metadata, attributes, "
                        + "created_at, updated_at, revision) VALUES (?, ?, ?, 'api_key', ?, '{\"m\":\"1\"}', '{}', ?, ?, ?)",
                ref.organizationId(), ref.identityId(), ref.key(), current, T0, T0 + 10, revision);
    }

    private static void versionRow(Handle h, SecretRef ref, int version) {
        SecretVersion v = version(ref, version);
        h.execute("INSERT INTO secret_versions (org_id, identity_id, secret_key, version, value, created_at, created_by) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)", ref.organizationId(), ref.identityId(), ref.key(), version,
                v.value(), Codec.micros(v.createdAt()), v.createdBy());
    }

    /** What version {@code n} of a secret was written as. */
    private static SecretVersion version(SecretRef ref, int n) {
        return new SecretVersion(ref, n, (ref.key() + "-" + n).getBytes(UTF_8), Codec.instant(T0 + 100L * n),
                "user-" + n);
    }

    private static SecretMetadata metadata(SecretRef ref, int current, long revision) {
        return new SecretMetadata(ref, "api_key", current, Map.of("m", "1"), Map.of(), Codec.instant(T0),
                Codec.instant(T0 + 10), revision);
    }

    // ---------------------------------------------------------------- after V3

    private static void assertMigrated(StorageBackend b, Jdbi raw) {
        assertEquals(List.of(1, 2, 3), raw.withHandle(h -> h.createQuery("SELECT version FROM schema_version ORDER BY 1")
                .mapTo(Integer.class).list()));
        // the V2 reads, unchanged
        assertRead(b, ONE, metadata(ONE, 1, 1), 1, new int[] {1}, 2);
        assertRead(b, MANY, metadata(MANY, 4, 4), 4, new int[] {1, 3, 4}, 5);
        assertEquals(Optional.empty(), b.readSecret(MANY, OptionalInt.of(2)), "destroyed stays destroyed");
        assertRead(b, BACK, metadata(BACK, 2, 4), 2, new int[] {1, 2, 3}, 4);
        assertEquals(List.of("BACK", "MANY", "ONE"), b.listSecrets(ORG, AGENT, PageRequest.first(10)).items().stream()
                .map(m -> m.ref().key()).toList());
        assertEquals(metadata(MANY, 4, 4), b.listSecrets(ORG, AGENT, PageRequest.first(10)).items().get(1));
        // the latest versions moved into the secrets' rows: secret_versions keeps only those below
        assertEquals(List.of("BACK/1", "BACK/2", "MANY/1", "MANY/3"), raw.withHandle(h -> h.createQuery(
                "SELECT secret_key, version FROM secret_versions ORDER BY secret_key, version")
                .map((rs, ctx) -> rs.getString(1) + "/" + rs.getInt(2)).list()));

        // writes go on from there
        SecretMetadata back = b.addVersion(metadata(BACK, 2, 4), 4, version(BACK, 4));
        assertEquals(5, back.revision());
        assertRead(b, BACK, metadata(BACK, 2, 5), 2, new int[] {1, 2, 3, 4}, 5);
        VaultException skipped = assertThrows(VaultException.class,
                () -> b.addVersion(metadata(BACK, 2, 5), 5, version(BACK, 6)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, skipped.errorCode());
        VaultException again = assertThrows(VaultException.class,
                () -> b.addVersion(metadata(BACK, 2, 5), 5, version(BACK, 4)));
        assertEquals(ErrorCode.ALREADY_EXISTS, again.errorCode());
        VaultException stale = assertThrows(VaultException.class,
                () -> b.addVersion(metadata(BACK, 2, 5), 4, version(BACK, 5)));
        assertEquals(ErrorCode.REVISION_CONFLICT, stale.errorCode());
        VaultException beyond = assertThrows(VaultException.class,
                () -> b.updateSecretMetadata(metadata(BACK, 5, 5), 5));
        assertEquals(ErrorCode.INVALID_ARGUMENT, beyond.errorCode());
        assertEquals(4, b.updateSecretMetadata(metadata(BACK, 4, 5), 5).currentVersion());
        assertEquals("BACK-4", new String(b.readSecret(BACK, OptionalInt.empty()).orElseThrow().version().value(), UTF_8));

        // re-encryption: the inline latest and a version below it
        assertTrue(b.replaceVersionValue(MANY, 4, "MANY-4".getBytes(UTF_8), "sealed-4".getBytes(UTF_8)));
        assertFalse(b.replaceVersionValue(MANY, 4, "MANY-4".getBytes(UTF_8), "x".getBytes(UTF_8)), "compare-and-set");
        assertTrue(b.replaceVersionValue(MANY, 3, "MANY-3".getBytes(UTF_8), "sealed-3".getBytes(UTF_8)));
        assertFalse(b.replaceVersionValue(MANY, 2, "MANY-2".getBytes(UTF_8), "x".getBytes(UTF_8)), "destroyed");
        assertEquals("sealed-4", new String(b.readSecret(MANY, OptionalInt.empty()).orElseThrow().version().value(), UTF_8));
        assertEquals("sealed-3", new String(b.readSecret(MANY, OptionalInt.of(3)).orElseThrow().version().value(), UTF_8));

        assertTrue(b.destroyVersion(MANY, 3));
        assertEquals(List.of(1, 4), versions(b.listVersions(MANY)));
        VaultException current = assertThrows(VaultException.class, () -> b.destroyVersion(MANY, 4));
        assertEquals(ErrorCode.INVALID_ARGUMENT, current.errorCode());
        b.deleteSecret(ONE, 1);
        assertEquals(List.of(), b.listVersions(ONE));
        assertEquals(Optional.empty(), b.readSecret(ONE, OptionalInt.empty()));
        assertEquals(0, (int) raw.<Integer, RuntimeException>withHandle(h -> h.createQuery("SELECT COUNT(*) FROM secret_versions WHERE secret_key = 'ONE'")
                .mapTo(Integer.class).one()));
    }

    private static void assertRead(StorageBackend b, SecretRef ref, SecretMetadata m, int current, int[] versions,
            int missing) {
        assertEquals(Optional.of(m), b.getSecretMetadata(ref));
        assertEquals(Optional.of(new StoredSecret(m, version(ref, current))), b.readSecret(ref, OptionalInt.empty()),
                ref.key() + " current");
        List<SecretVersion> listed = new ArrayList<>();
        for (int v : versions) {
            assertEquals(Optional.of(new StoredSecret(m, version(ref, v))), b.readSecret(ref, OptionalInt.of(v)),
                    ref.key() + " version " + v);
            listed.add(version(ref, v));
        }
        assertEquals(listed, b.listVersions(ref), ref.key() + " versions");
        assertEquals(Optional.empty(), b.readSecret(ref, OptionalInt.of(missing)));
        assertEquals(Optional.empty(), b.readSecret(ref, OptionalInt.of(0)));
    }

    private static List<Integer> versions(List<SecretVersion> list) {
        return list.stream().map(SecretVersion::version).toList();
    }
}
