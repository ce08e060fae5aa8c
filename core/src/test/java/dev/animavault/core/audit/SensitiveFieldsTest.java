package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.KeyringConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: token and API key ids reach the audit trail only as HMACs under the keyring's versioned audit
 * key; {@code POST /v1/sys/audit-hash} finds them; rotating the audit key keeps older events searchable;
 * client addresses are hashed when configured.
 */
@Timeout(120)
class SensitiveFieldsTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    private static JsonNode issueToken(TestVault vault) {
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "K", "value", "s3cret-value"))).status());
        return vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json();
    }

    private static JsonNode reads(TestVault vault, String actorFilter) {
        Response r = vault.get("/v1/vault/audit/logs?action=secret.read&limit=100&actor="
                + URLEncoder.encode(actorFilter, StandardCharsets.UTF_8), OWNER);
        assertEquals(200, r.status(), r.body());
        return r.json().get("items");
    }

    @Test
    void tokenIdsAreRecordedAsVersionedHmacsAndStaySearchableAcrossAuditKeyRotation() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            JsonNode issued = issueToken(vault);
            String tokenId = issued.get("id").asText();
            String token = issued.get("token").asText();
            String clear = "identity:agent_1/" + tokenId;
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", token).status());

            JsonNode hash = vault.post("/v1/sys/audit-hash", OWNER, TestVault.json(Map.of("value", clear))).json();
            assertEquals(1, hash.get("activeVersion").asInt());
            String v1 = hash.get("actor").asText();
            assertTrue(v1.startsWith("identity:agent_1/hmac:v1:"), v1);
            // the bare token id hashes to the actor's hashed part
            JsonNode idHash = vault.post("/v1/sys/audit-hash", OWNER, TestVault.json(Map.of("value", tokenId))).json();
            assertEquals("identity:agent_1/" + idHash.get("hmac").asText(), v1);

            JsonNode before = reads(vault, clear); // a clear actor filter is hashed by the query
            assertEquals(1, before.size(), before.toString());
            assertEquals(v1, before.get(0).get("actor").asText());
            assertEquals("127.0.0.1", before.get(0).get("remoteAddress").asText(), "addresses in clear by default");

            String file = Files.readString(vault.dataDir().resolve("audit/audit.jsonl"));
            assertFalse(file.contains(tokenId), "no token id in clear anywhere in the audit file");
            assertFalse(file.contains("s3cret-value"));

            // rotate the audit key: new events use version 2, version 1's stay findable
            Response rotated = vault.post("/v1/sys/keyring/rotate", OWNER, "{\"key\":\"audit\"}");
            assertEquals(200, rotated.status(), rotated.body());
            assertEquals(2, rotated.json().get("activeAuditKey").asInt());
            JsonNode status = vault.get("/v1/sys/keyring", OWNER).json();
            assertEquals(2, status.get("activeAuditKey").asInt(), status.toString());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", token).status());

            JsonNode all = vault.post("/v1/sys/audit-hash", OWNER, TestVault.json(Map.of("value", clear,
                    "allVersions", true))).json();
            assertEquals(2, all.get("activeVersion").asInt());
            assertEquals(2, all.get("versions").size(), all.toString());
            assertEquals(2, all.get("versions").get(0).get("version").asInt());
            String v2 = all.get("versions").get(0).get("actor").asText();
            assertEquals(v1, all.get("versions").get(1).get("actor").asText(), "version 1 hashes as before");
            assertTrue(v2.startsWith("identity:agent_1/hmac:v2:"), v2);
            assertNotEquals(v1, v2);

            assertEquals(1, reads(vault, clear).size(), "the clear filter finds the event under the active version");
            assertEquals(v2, reads(vault, clear).get(0).get("actor").asText());
            assertEquals(1, reads(vault, v1).size(), "the version 1 HMAC finds the event recorded before rotation");

            // the least-privilege report counts the token's reads under both versions as one token's use
            JsonNode tables = vault.get("/v1/vault/audit/reports?format=json", OWNER).json().get("tables");
            boolean found = false;
            for (JsonNode row : tables.get("least_privilege")) {
                if (row.get("tokenId").asText().equals(tokenId)) {
                    found = true;
                    assertTrue(row.get("usedInPeriod").asBoolean(), row.toString());
                    assertEquals(1, row.get("readKeys").asInt(), row.toString());
                }
            }
            assertTrue(found, tables.get("least_privilege").toString());
        }
    }

    @Test
    void remoteAddressesAreHashedWhenConfigured() {
        KeyringConfig d = KeyringConfig.DEFAULTS;
        KeyringConfig hashing = new KeyringConfig(d.maxKeyAge(), d.rotateAtEncryptions(), d.reserveBlock(),
                d.refreshInterval(), d.jobEnabled(), d.reencryptRate(), d.reencryptBatch(), d.tokenKeyGrace(), true);
        try (TestVault vault = TestVault.start(tmp, c -> c.keyring(hashing))) {
            String token = issueToken(vault).get("token").asText();
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", token).status());
            JsonNode items = vault.get("/v1/vault/audit/logs?action=secret.read&limit=10", OWNER).json().get("items");
            String address = items.get(0).get("remoteAddress").asText();
            assertTrue(address.startsWith("hmac:v1:"), address);
            assertEquals(vault.recorded("127.0.0.1"), address, "an auditor finds the address by hashing it");
        }
    }

    @Test
    void auditHashNeedsAuditReadAndRefusesBadBodies() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            String token = issueToken(vault).get("token").asText();
            assertEquals(403, vault.post("/v1/sys/audit-hash", token, "{\"value\":\"x\"}").status());
            assertEquals(400, vault.post("/v1/sys/audit-hash", OWNER, "{}").status());
            assertEquals(400, vault.post("/v1/sys/audit-hash", OWNER, "{\"value\":\"\"}").status());
            assertEquals(400, vault.post("/v1/sys/audit-hash", OWNER, "{\"value\":\"x\",\"allVersions\":\"yes\"}")
                    .status());
            // the value is never in the audit event of the request
            assertEquals(200, vault.post("/v1/sys/audit-hash", OWNER, "{\"value\":\"needle-1234\"}").status());
            JsonNode items = vault.get("/v1/vault/audit/logs?action=audit.hash.read&limit=10", OWNER).json()
                    .get("items");
            assertTrue(items.size() >= 1);
            assertFalse(items.toString().contains("needle-1234"), items.toString());

            // a refused request is recorded even when its client reuses the request id of a recorded one
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            for (String body : new String[] {"{\"value\":\"x\"}", "{\"value\":"}) {
                java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                                vault.uri("/v1/sys/audit-hash"))
                        .header("Authorization", "Bearer " + OWNER).header("X-Request-Id", "same-id-1")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(body.endsWith("}") ? 200 : 400, r.statusCode(), r.body());
            }
            JsonNode all = vault.get("/v1/vault/audit/logs?action=audit.hash.read&outcome=FAILURE&limit=20", OWNER)
                    .json().get("items");
            assertEquals(4, all.size(), "the three refused bodies above and this one: " + all);
            java.util.List<JsonNode> failed = new java.util.ArrayList<>();
            all.forEach(e -> {
                if (e.get("requestId").asText().equals("same-id-1")) {
                    failed.add(e);
                }
            });
            assertEquals(1, failed.size(), all.toString());
            assertEquals("malformed_json", failed.get(0).get("errorCode").asText(), failed.toString());
            assertEquals("request", failed.get(0).get("details").get("stage").asText());
        }
    }
}
