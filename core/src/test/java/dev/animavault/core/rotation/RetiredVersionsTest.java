package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.RotationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rotation.retiredVersions: destroy} end to end on a real vault (SQLite, real plugin zips, a real
 * receiver on loopback): the old version is readable as previous during the grace period, then destroyed;
 * reads of it answer 410 {@code version_destroyed} to every principal, the destruction is audited, and the
 * stored ciphertext is gone from the SQLite file, checked with SQL and by scanning the file's bytes.
 * The database is read directly only while no vault has it open (a second SQLite library in the same
 * process would not see the live WAL and could disturb its locks), so the test stops and restarts the
 * vault on the same data directory, which also shows an overdue sweep running after startup.
 */
class RetiredVersionsTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private static UnaryOperator<dev.animavault.core.config.VaultConfig.Builder> config() {
        RotationConfig rotation = new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                List.of(Duration.ofMillis(200), Duration.ofMillis(200)), Duration.ofSeconds(3), Duration.ofHours(1));
        return b -> b.credentialTypes(List.of("test_password", "api_key"))
                .defaultCredentialType("test_password")
                .egressAllow(List.of("127.0.0.1"))
                .rotation(rotation);
    }

    @Test
    void aRetiredVersionIsReadableDuringGraceThenDestroyedEverywhere() throws Exception {
        Path zip = RotationTest.generatingTypePlugin(tmp.resolve("built"));
        Path root = tmp.resolve("vault");
        Path db;
        String agentToken;
        byte[] sealed1;
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            try (TestVault vault = TestVault.start(root, config(), zip)) {
                db = vault.dataDir().resolve("anima-vault.db");
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
                assertEquals(201, vault.post("/v1/vault/rotation/signing-secret", OWNER, "{}").status());
                Response bad = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "BAD", "value", "v", "rotation", Map.of("interval", "1h", "webhookUrl", receiver.url(),
                                "retiredVersions", "shred"))));
                assertEquals(400, bad.status(), bad.body());
                assertEquals("invalid_argument", bad.code());
                assertTrue(bad.body().contains("retiredVersions"), bad.body());

                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "DB_PASSWORD", "value", "first-value-1", "rotation", Map.of("interval", "1h",
                                "gracePeriod", "6s", "retiredVersions", "destroy", "webhookUrl", receiver.url()))));
                assertEquals(201, r.status(), r.body());
                assertEquals("destroy", r.json().get("rotation").get("retiredVersions").asText(), "shown in metadata");
                Response t = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
                agentToken = t.json().get("token").asText();
                assertEquals(202, vault.post("/v1/vault/secrets/agent_1/DB_PASSWORD/rotate", OWNER, "").status());
                WebhookReceiver.await("promotion", WAIT, () -> metadata(vault).get("version").asInt() == 2);
                // previous: readable by the agent until the grace period ends (checked while it runs)
                Instant until = Instant.parse(metadata(vault).get("rotation").get("previousReadableUntil").asText());
                Response previous = vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD?version=1", agentToken);
                if (Instant.now().isBefore(until.minusMillis(500))) {
                    assertEquals(200, previous.status(), previous.body());
                    assertEquals("first-value-1", previous.json().get("value").asText(), "previous readable in grace");
                }
            }
            // stopped: the database may be read directly now
            sealed1 = storedValue(db, 1);
            assertNotNull(sealed1, "version 1 still stored (its grace period had not ended, or no sweep ran yet)");
            assertTrue(sealed1.length >= 16);

            try (TestVault vault = TestVault.start(root, config(), zip)) {
                // the grace period ends (or has ended while stopped): the sweep destroys version 1
                // a read answers 410 as soon as the row is gone; the sweep records destroyedBelow (and audits the
                // outcome) a moment later, so wait for both before looking at metadata and audit
                WebhookReceiver.await("version 1 destroyed and recorded", WAIT, () ->
                        vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD?version=1", OWNER).status() == 410
                                && metadata(vault).get("rotation").has("destroyedBelow"));
                for (String principal : List.of(OWNER, agentToken)) {
                    Response gone = vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD?version=1", principal);
                    assertEquals(410, gone.status(), gone.body());
                    assertEquals("version_destroyed", gone.code());
                    assertTrue(gone.contentType().startsWith("application/problem+json"));
                }
                Response current = vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD", agentToken);
                assertEquals(200, current.status(), current.body());
                assertEquals(2, current.json().get("version").asInt(), "the current version is served as before");
                assertEquals(404, vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD?version=9", OWNER).status(),
                        "a version that never existed is still 404");
                JsonNode rotation = metadata(vault).get("rotation");
                assertEquals(2, rotation.get("destroyedBelow").asInt(), "metadata shows what was destroyed");
                assertEquals("destroy", rotation.get("retiredVersions").asText());
                Response audit = vault.get("/v1/vault/audit/logs?identityId=agent_1&action=secret.version.destroy"
                        + "&limit=100", OWNER);
                assertEquals(200, audit.status(), audit.body());
                long successes = 0;
                long attempts = 0;
                for (JsonNode e : audit.json().get("items")) {
                    if (!"secret.version.destroy".equals(e.path("action").asText())
                            || !"DB_PASSWORD".equals(e.path("secretKey").asText())) {
                        continue;
                    }
                    assertEquals(1, e.path("version").asInt(), e.toString());
                    successes += "SUCCESS".equals(e.get("outcome").asText()) ? 1 : 0;
                    attempts += "ATTEMPT".equals(e.get("outcome").asText()) ? 1 : 0;
                }
                assertEquals(1, successes, "the destruction is audited once: " + audit.body());
                assertTrue(attempts >= 1, "an ATTEMPT record before it");
            }
        }
        // stopped again: the row is gone, and so are its bytes, from every file of the data directory
        assertNull(storedValue(db, 1), "no row for version 1");
        assertNotNull(storedValue(db, 2), "the current version is kept");
        String needle = HexFormat.of().formatHex(sealed1);
        try (Stream<Path> files = Files.list(db.getParent())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertTrue(!HexFormat.of().formatHex(Files.readAllBytes(f)).contains(needle),
                        "the ciphertext of version 1 is still in " + f.getFileName());
            }
        }
    }

    private static JsonNode metadata(TestVault vault) {
        Response list = vault.get("/v1/vault/secrets/agent_1?limit=100", OWNER);
        for (JsonNode item : list.json().get("items")) {
            if (item.get("key").asText().equals("DB_PASSWORD")) {
                return item;
            }
        }
        throw new AssertionError("no secret DB_PASSWORD: " + list.body());
    }

    /** The stored (sealed) bytes of a version of DB_PASSWORD, read from the SQLite file; null when no row. */
    private static byte[] storedValue(Path db, int version) throws Exception {
        try (Connection c = new org.sqlite.JDBC().connect("jdbc:sqlite:" + db, new Properties());
             // storage-jdbc schema V3: the latest version is inline in the secret's row, those below it in secret_versions
             PreparedStatement st = c.prepareStatement("SELECT value FROM secret_versions WHERE "
                     + "identity_id = ? AND secret_key = ? AND version = ? UNION ALL SELECT latest_value FROM secrets "
                     + "WHERE identity_id = ? AND secret_key = ? AND latest_version = ?")) {
            for (int i = 0; i < 6; i += 3) {
                st.setString(i + 1, "agent_1");
                st.setString(i + 2, "DB_PASSWORD");
                st.setInt(i + 3, version);
            }
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        }
    }
}
