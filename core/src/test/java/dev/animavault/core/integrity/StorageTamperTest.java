package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.cluster.PgSchema;
import dev.animavault.core.config.ProviderSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, tamper evidence: a vault on SQLite whose database file is edited with plain JDBC while it runs
 * (someone with write access to the database, not to the vault). Every edit is refused with
 * {@code integrity_error} and audited; what was not touched keeps reading.
 */
class StorageTamperTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    /** A direct connection to the test vault's SQLite database (the tamperer's access). */
    static Connection db(Path dataDir) throws Exception {
        Properties p = new Properties();
        p.setProperty("busy_timeout", "10000");
        return new org.sqlite.JDBC().connect("jdbc:sqlite:" + dataDir.resolve("anima-vault.db"), p);
    }

    private static void secret(TestVault vault, String identity, String key, String value, Map<String, String> labels) {
        Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", identity, "key", key,
                "value", value, "type", "api_key", "metadata", labels)));
        assertEquals(201, r.status(), r.body());
    }

    private static void assertRefused(Response r) {
        assertEquals(500, r.status(), r.body());
        assertEquals("integrity_error", r.code(), r.body());
        assertFalse(r.body().contains("value-"), "no value served: " + r.body());
    }

    @Test
    void editsMadeDirectlyInASqliteDatabaseAreRefusedAndAudited() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b
                .storage(new ProviderSpec("jdbc", Map.of("read-cache", "off")))
                .tokenCacheTtl(Duration.ofMillis(100)));
             Connection db = db(tmp.resolve("data"))) {
            tamperAndCheck(vault, db);
        }
    }

    /** The same against the shared PostgreSQL test server, in a schema of this test's own (skipped without it). */
    @Test
    void editsMadeDirectlyInAPostgresDatabaseAreRefusedAndAudited() throws Exception {
        try (PgSchema pg = PgSchema.create("tamper");
             TestVault vault = TestVault.start(tmp, b -> b
                     .storage(new ProviderSpec("jdbc", Map.of("url", pg.url(), "username", pg.user(),
                             "password", pg.password())))
                     .tokenCacheTtl(Duration.ofMillis(100)));
             Connection db = pg.connect()) {
            tamperAndCheck(vault, db);
        }
    }

    private void tamperAndCheck(TestVault vault, Connection db) throws Exception {
        {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_a\"}").status());
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_b\"}").status());
            secret(vault, "agent_a", "ROLLED", "value-one-1234", Map.of());
            assertEquals(200, vault.put("/v1/vault/secrets/agent_a/ROLLED", OWNER,
                    "{\"value\":\"value-two-1234\"}").status());
            secret(vault, "agent_a", "SWAP_A", "value-swap-a-1234", Map.of("team", "a"));
            secret(vault, "agent_b", "SWAP_B", "value-swap-b-1234", Map.of("team", "b"));
            secret(vault, "agent_b", "LABELLED", "value-labelled-1234", Map.of("env", "prod"));
            secret(vault, "agent_b", "UNTOUCHED", "value-untouched-1234", Map.of("env", "prod"));
            for (String path : new String[] {"agent_a/ROLLED", "agent_a/SWAP_A", "agent_b/SWAP_B", "agent_b/LABELLED"}) {
                assertEquals(200, vault.get("/v1/vault/secrets/" + path, OWNER).status(), path);
            }

            // 1. current_version rolled back from 2 to 1
            try (Statement s = db.createStatement()) {
                assertEquals(1, s.executeUpdate("UPDATE secrets SET current_version = 1 WHERE secret_key = 'ROLLED'"));
            }
            assertRefused(vault.get("/v1/vault/secrets/agent_a/ROLLED", OWNER));

            // 2. two secrets' metadata swapped (every metadata column, MAC included)
            String cols = "type, current_version, metadata, attributes";
            Object[][] rows = new Object[2][];
            String[] keys = {"SWAP_A", "SWAP_B"};
            for (int i = 0; i < 2; i++) {
                try (PreparedStatement q = db.prepareStatement("SELECT " + cols + " FROM secrets WHERE secret_key = ?")) {
                    q.setString(1, keys[i]);
                    try (ResultSet rs = q.executeQuery()) {
                        assertTrue(rs.next());
                        rows[i] = new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4)};
                    }
                }
            }
            for (int i = 0; i < 2; i++) {
                try (PreparedStatement u = db.prepareStatement("UPDATE secrets SET type = ?, current_version = ?, "
                        + "metadata = ?, attributes = ? WHERE secret_key = ?")) {
                    Object[] other = rows[1 - i];
                    u.setString(1, (String) other[0]);
                    u.setInt(2, (Integer) other[1]);
                    u.setString(3, (String) other[2]);
                    u.setString(4, (String) other[3]);
                    u.setString(5, keys[i]);
                    assertEquals(1, u.executeUpdate());
                }
            }
            assertRefused(vault.get("/v1/vault/secrets/agent_a/SWAP_A", OWNER));
            assertRefused(vault.get("/v1/vault/secrets/agent_b/SWAP_B", OWNER));

            // 3. a label edited
            try (Statement s = db.createStatement()) {
                assertEquals(1, s.executeUpdate("UPDATE secrets SET metadata = replace(metadata, 'prod', 'dev') "
                        + "WHERE secret_key = 'LABELLED'"));
            }
            assertRefused(vault.get("/v1/vault/secrets/agent_b/LABELLED", OWNER));

            // 4. a revoked token's record put back as it was
            Response issued = vault.post("/v1/identities/agent_b/tokens", OWNER, "{}");
            assertEquals(201, issued.status(), issued.body());
            String token = issued.json().get("token").asText();
            String tokenId = issued.json().get("id").asText();
            assertEquals(200, vault.get("/v1/vault/secrets/agent_b/UNTOUCHED", token).status());
            byte[] value;
            long revision;
            long updatedAt;
            try (PreparedStatement q = db.prepareStatement(
                    "SELECT value, revision, updated_at FROM records WHERE namespace = 'tokens' AND record_key = ?")) {
                q.setString(1, tokenId);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next(), "token record " + tokenId);
                    value = rs.getBytes(1);
                    revision = rs.getLong(2);
                    updatedAt = rs.getLong(3);
                }
            }
            assertEquals(204, vault.delete("/v1/identities/agent_b/tokens/" + tokenId, OWNER).status());
            assertEquals(401, vault.get("/v1/vault/secrets/agent_b/UNTOUCHED", token).status());
            try (PreparedStatement u = db.prepareStatement(
                    "INSERT INTO records (namespace, record_key, value, revision, updated_at) VALUES ('tokens', ?, ?, ?, ?)")) {
                u.setString(1, tokenId);
                u.setBytes(2, value);
                u.setLong(3, revision);
                u.setLong(4, updatedAt);
                assertEquals(1, u.executeUpdate());
            }
            // past the token service's own memory of the revocation (2 x cache ttl + 1 s)
            Thread.sleep(1_400);
            assertRefused(vault.get("/v1/vault/secrets/agent_b/UNTOUCHED", token));

            // untouched secrets keep reading
            Response ok = vault.get("/v1/vault/secrets/agent_b/UNTOUCHED", OWNER);
            assertEquals(200, ok.status(), ok.body());
            assertEquals("value-untouched-1234", ok.json().get("value").asText());

            // every refusal is audited (names only)
            Path auditFile = tmp.resolve("data/audit/audit.jsonl");
            String[] expected = {"\"secretKey\":\"ROLLED\"", "\"secretKey\":\"SWAP_A\"", "\"secretKey\":\"SWAP_B\"",
                    "\"secretKey\":\"LABELLED\"", "tokens/" + tokenId};
            String audit = awaitViolationsAudited(auditFile, expected);
            assertFalse(audit.contains("value-untouched-1234") || audit.contains("value-two-1234"));
        }
    }

    /**
     * Waits (10 s at most) until the audit file holds a {@code storage.integrity_violation} event naming each of
     * {@code expected}, asserts that it does, and returns the file's text.
     */
    static String awaitViolationsAudited(Path auditFile, String... expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String audit = "";
        while (System.nanoTime() < deadline) {
            audit = Files.exists(auditFile) ? Files.readString(auditFile) : "";
            String a = audit;
            if (java.util.Arrays.stream(expected).allMatch(e -> a.lines()
                    .anyMatch(l -> l.contains("storage.integrity_violation") && l.contains(e)))) {
                break;
            }
            Thread.sleep(50);
        }
        for (String e : expected) {
            String a = audit;
            assertTrue(a.lines().anyMatch(l -> l.contains("storage.integrity_violation") && l.contains(e)),
                    "audited: " + e);
        }
        return audit;
    }
}
