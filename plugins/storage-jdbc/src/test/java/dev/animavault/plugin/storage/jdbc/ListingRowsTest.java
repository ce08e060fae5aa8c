package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listings' one-column rows ({@link Listing}: every field of a row joined by U+001F in one text column):
 * identities whose names and labels hold the separator, control characters, quotes and any Unicode, enabled
 * and disabled, are listed exactly as they are read one by one, in both dialects, across pages; malformed
 * rows are refused.
 */
class ListingRowsTest {
    @TempDir
    Path dataDir;

    private static final String[] NAMES = {"plain", "", "sep\u001fin\u001fname", "\u001f", "ends with sep\u001f",
        "new\nline\ttab\r", "quotes \"' and \\ back", "{\"json\":[1]}", "ключ 🔑 中文 e\u0301", "x".repeat(2000),
        "\u0001\u007f ctl", "a || b"};

    private static Map<String, String> labels(int i) {
        Map<String, String> m = new LinkedHashMap<>();
        if (i % 3 == 0) {
            return m;
        }
        m.put("_mac", "v1.1.0.abc-" + i);
        m.put("sep\u001fkey", "sep\u001fvalue\u001f");
        m.put("quote\"", "\\\"\n");
        if (i % 3 == 2) {
            m.put("unicode 🔑", "значение");
            m.put("empty", "");
        }
        return m;
    }

    private static void identitiesListExactlyAsRead(StorageBackend b, String org) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Identity> created = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            created.add(b.createIdentity(new Identity(org, String.format("agent_%02d", i), NAMES[i], labels(i),
                    i % 2 == 1, t.plusSeconds(i), t.plusSeconds(2L * i), 0)));
        }
        List<Identity> listed = new ArrayList<>();
        String cursor = null;
        do {
            Page<Identity> p = b.listIdentities(org, new PageRequest(5, java.util.Optional.ofNullable(cursor)));
            listed.addAll(p.items());
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        assertEquals(created.size(), listed.size());
        for (int i = 0; i < created.size(); i++) {
            Identity read = b.getIdentity(org, created.get(i).id()).orElseThrow();
            assertEquals(read, listed.get(i), "identity " + i);
            assertEquals(NAMES[i], listed.get(i).name());
            assertEquals(labels(i), listed.get(i).metadata());
            assertEquals(i % 2 == 1, listed.get(i).disabled());
        }
    }

    @Test
    void sqliteIdentitiesListExactlyAsRead() {
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            identitiesListExactlyAsRead(b, "org_rows");
        }
    }

    @Test
    void postgresIdentitiesListExactlyAsRead() {
        String url = PostgresTestServer.freshSchemaUrl();
        try (StorageBackend b = new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            identitiesListExactlyAsRead(b, "org_rows");
        } finally {
            PostgresTestServer.dropSchema(url);
        }
    }

    /**
     * Secrets whose labels and attributes hold both separators (U+001F between fields, U+001E between the rows of
     * SQLite's packed page), control characters, quotes and any Unicode list exactly as they are read one by one,
     * in pages of 5 (cursors) and of 100 (one page), and an identity without secrets gives an empty page.
     */
    private static void secretsListExactlyAsRead(StorageBackend b, String org) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MICROS);
        b.createIdentity(new Identity(org, "holder", "h", Map.of(), false, t, t, 0));
        b.createIdentity(new Identity(org, "empty", "e", Map.of(), false, t, t, 0));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            SecretRef ref = new SecretRef(org, "holder", String.format("K_%02d", i));
            Map<String, String> attributes = new LinkedHashMap<>(labels(i));
            attributes.put("rows\u001e", "a\u001eb\u001f\u001e" + NAMES[i]);
            b.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of("n", NAMES[i], "\u001e", "\u001e"), attributes,
                    t.plusSeconds(i), t.plusSeconds(2L * i), 0), new SecretVersion(ref, 1, new byte[] {1}, t, "test"));
            keys.add(ref.key());
        }
        for (int size : new int[] {5, 100}) {
            List<SecretMetadata> listed = new ArrayList<>();
            String cursor = null;
            do {
                Page<SecretMetadata> p = b.listSecrets(org, "holder", new PageRequest(size, java.util.Optional.ofNullable(cursor)));
                listed.addAll(p.items());
                cursor = p.nextCursor().orElse(null);
            } while (cursor != null);
            assertEquals(keys.size(), listed.size(), "pages of " + size);
            for (int i = 0; i < keys.size(); i++) {
                SecretMetadata read = b.getSecretMetadata(new SecretRef(org, "holder", keys.get(i))).orElseThrow();
                assertEquals(read, listed.get(i), "secret " + i + " in pages of " + size);
                assertEquals(NAMES[i], listed.get(i).metadata().get("n"));
            }
        }
        assertEquals(List.of(), b.listSecrets(org, "empty", new PageRequest(100, java.util.Optional.empty())).items());
    }

    @Test
    void sqliteSecretsListExactlyAsRead() {
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of(), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            secretsListExactlyAsRead(b, "org_rows");
        }
    }

    @Test
    void postgresSecretsListExactlyAsRead() {
        String url = PostgresTestServer.freshSchemaUrl();
        try (StorageBackend b = new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            secretsListExactlyAsRead(b, "org_rows");
        } finally {
            PostgresTestServer.dropSchema(url);
        }
    }

    @Test
    void malformedIdentityRowsAreRefused() throws SQLException {
        String sep = "\u001f";
        Identity ok = Listing.identityRow("o", String.join(sep, "a", "1", "5", "6", "7", "n" + sep + "m", "{}"));
        assertEquals(new Identity("o", "a", "n" + sep + "m", Map.of(), true, Codec.instant(5), Codec.instant(6), 7), ok);
        for (String bad : new String[] {null, "", "a", String.join(sep, "a", "1", "5", "6", "7"),
                String.join(sep, "a", "2", "5", "6", "7", "n", "{}"), String.join(sep, "a", "10", "5", "6", "7", "n", "{}"),
                String.join(sep, "a", "1", "x", "6", "7", "n", "{}"), String.join(sep, "a", "", "5", "6", "7", "n", "{}")}) {
            assertThrows(SQLException.class, () -> Listing.identityRow("o", bad), String.valueOf(bad));
        }
        assertThrows(IllegalStateException.class, () -> Listing.identityRow("o",
                String.join(sep, "a", "0", "5", "6", "7", "n", "{x")));
    }
}
