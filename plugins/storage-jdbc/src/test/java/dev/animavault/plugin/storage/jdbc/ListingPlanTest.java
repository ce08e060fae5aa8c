package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listings are keyset pages served by the primary key index in both dialects, at {@link #ROWS} rows:
 * the query plan of every listing query (first page and a page after a cursor) is a range search on the
 * primary key with no sort and no full scan (SQLite: {@code EXPLAIN QUERY PLAN}; PostgreSQL:
 * {@code EXPLAIN} after {@code ANALYZE}), and paging through one identity's secrets with the backend
 * returns every key once, in order, 100 per page. Prints the time per page next to one secret read
 * (no assertion on time).
 */
class ListingPlanTest {

    /** 10^5 by default; {@code -Danima.listing.rows=1000000} checks the plans at 10^6 (a manual run: ~minutes). */
    static final int ROWS = Integer.getInteger("anima.listing.rows", 100_000);
    private static final Pattern NAMED = Pattern.compile(":([a-z]+)");

    @TempDir
    Path dataDir;

    @Test
    void sqliteListingsUseThePrimaryKey() throws Exception {
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", Map.of("read-cache", "off"), Set.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            String url = "jdbc:sqlite:" + dataDir.resolve("anima-vault.db");
            try (Connection c = DriverManager.getConnection(url)) {
                fill(c, false);
                // as the vault runs (it never runs ANALYZE), then with statistics: the same plan either way
                for (boolean analyzed : new boolean[] {false, true}) {
                    if (analyzed) {
                        analyze(c);
                    }
                    for (String[] q : queries(true)) {
                        String plan = plan(c, "EXPLAIN QUERY PLAN ", q);
                        String what = (analyzed ? "after ANALYZE: " : "without statistics: ") + q[0] + "\n" + plan;
                        assertTrue(plan.contains("USING PRIMARY KEY") || plan.contains("USING INDEX sqlite_autoindex")
                                || plan.contains("USING COVERING INDEX sqlite_autoindex"), what);
                        assertFalse(plan.contains("TEMP B-TREE"), "sorts (USE TEMP B-TREE FOR ORDER BY): " + what);
                        assertTrue(plan.contains("SEARCH"), "not a range search: " + what);
                    }
                }
            }
            pageThrough(b);
        }
    }

    @Test
    void postgresListingsUseThePrimaryKey() throws Exception {
        String url = PostgresTestServer.freshSchemaUrl();
        try (StorageBackend b = new JdbcStorageBackendFactory().create(PostgresTestServer.config(url, Map.of()),
                TestPluginContext.denyingEgress(dataDir))) {
            PostgresTestServer.Server s = PostgresTestServer.get();
            try (Connection c = DriverManager.getConnection(url, s.user(), s.password())) {
                fill(c, true);
                analyze(c);
                for (String[] q : queries(false)) {
                    String plan = plan(c, "EXPLAIN ", q);
                    assertTrue(plan.contains("Index Scan using") || plan.contains("Index Only Scan using"), q[0] + "\n" + plan);
                    assertFalse(plan.contains("Sort"), "sorts: " + q[0] + "\n" + plan);
                    assertFalse(plan.contains("Seq Scan"), "scans the table: " + q[0] + "\n" + plan);
                }
            }
            pageThrough(b);
        } finally {
            PostgresTestServer.dropSchema(url);
        }
    }

    /** {sql, parameter values in order of appearance by name}; {@code sqlite}: with the SQLite-only packed page. */
    private static List<String[]> queries(boolean sqlite) {
        Map<String, String> values = Map.of("org", "org_l", "identity", "big", "after", "K050000", "limit", "101",
                "ns", "ns_l");
        List<String[]> out = new ArrayList<>();
        for (boolean after : new boolean[] {false, true}) {
            List<String> sqls = new ArrayList<>(List.of(Listing.listIdentitiesSql(after), Listing.listSecretsSql(after),
                    Listing.listRecordsSql(after)));
            if (sqlite) {
                sqls.add(Listing.listSecretsPackedSql(after));
            }
            for (String sql : sqls) {
                List<String> row = new ArrayList<>();
                Matcher m = NAMED.matcher(sql);
                StringBuilder positional = new StringBuilder();
                while (m.find()) {
                    row.add(values.get(m.group(1)));
                    m.appendReplacement(positional, "?");
                }
                m.appendTail(positional);
                row.add(0, positional.toString());
                out.add(row.toArray(String[]::new));
            }
        }
        return out;
    }

    private static String plan(Connection c, String explain, String[] q) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(explain + q[0])) {
            for (int i = 1; i < q.length; i++) {
                if (q[0].contains("LIMIT ?") && i == q.length - 1) {
                    ps.setInt(i, Integer.parseInt(q[i]));
                } else {
                    ps.setString(i, q[i]);
                }
            }
            StringBuilder sb = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    sb.append(rs.getString(columns)).append('\n'); // SQLite: the detail column; PostgreSQL: the only one
                }
            }
            return sb.toString();
        }
    }

    /** ROWS identities in org_l (one of them, "big", with ROWS secrets) and ROWS records in ns_l. */
    private static void fill(Connection c, boolean postgres) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement identity = c.prepareStatement("INSERT INTO identities (org_id, id, name, metadata, "
                     + "disabled, created_at, updated_at, revision) VALUES ('org_l', ?, 'n', '{}', false, 0, 0, 1)");
             PreparedStatement secret = c.prepareStatement("INSERT INTO secrets (org_id, identity_id, secret_key, type, "
                     + "current_version, metadata, attributes, created_at, updated_at, revision, latest_version, "
                     + "latest_value, latest_created_at, latest_created_by) "
                     + "VALUES ('org_l', 'big', ?, 'api_key', 1, '{}', '{}', 0, 0, 1, 1, ?, 0, 'u')");
             PreparedStatement record = c.prepareStatement("INSERT INTO records (namespace, record_key, value, revision, "
                     + "updated_at) VALUES ('ns_l', ?, ?, 1, 0)")) {
            identity.setString(1, "big");
            identity.executeUpdate();
            for (int i = 0; i < ROWS; i++) {
                String k = String.format("K%06d", i);
                identity.setString(1, "id" + k);
                identity.addBatch();
                secret.setString(1, k);
                secret.setBytes(2, new byte[64]); // the latest version inline (schema V3), a sealed value's size
                secret.addBatch();
                record.setString(1, k);
                record.setBytes(2, new byte[] {1});
                record.addBatch();
                if (i % 5000 == 4999) {
                    identity.executeBatch();
                    secret.executeBatch();
                    record.executeBatch();
                }
            }
        }
        c.commit();
        c.setAutoCommit(true);
    }

    private static void analyze(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("ANALYZE");
        }
    }

    /** Pages through "big"'s secrets and org_l's identities with the backend: every key once, in order. */
    private static void pageThrough(StorageBackend b) {
        long start = System.nanoTime();
        int pages = 0;
        String last = "";
        int seen = 0;
        Optional<String> cursor = Optional.empty();
        do {
            Page<SecretMetadata> p = b.listSecrets("org_l", "big", cursor.map(cur -> PageRequest.after(100, cur))
                    .orElse(PageRequest.first(100)));
            for (SecretMetadata m : p.items()) {
                assertTrue(m.ref().key().compareTo(last) > 0, "in order");
                last = m.ref().key();
                seen++;
            }
            if (p.nextCursor().isPresent()) {
                assertEquals(100, p.items().size());
            }
            cursor = p.nextCursor();
            pages++;
        } while (cursor.isPresent() && pages < 300);
        long secretsNanos = System.nanoTime() - start;
        assertEquals(300 * 100, seen, "300 full pages");
        start = System.nanoTime();
        Page<Identity> ids = b.listIdentities("org_l", PageRequest.first(100));
        for (int i = 0; i < 99; i++) {
            ids = b.listIdentities("org_l", PageRequest.after(100, ids.nextCursor().orElseThrow()));
        }
        long identitiesNanos = System.nanoTime() - start;
        System.out.printf("%s at %d rows: a 100-item page of secrets %.0f us, of identities %.0f us (means over 300 and 100 pages)%n",
                b, ROWS, secretsNanos / 1e3 / 300, identitiesNanos / 1e3 / 100);
    }
}
