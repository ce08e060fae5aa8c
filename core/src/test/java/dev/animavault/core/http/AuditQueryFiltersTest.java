package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/vault/audit/logs} with the {@code secretKey}, {@code actor} and {@code outcome} filters. */
@Timeout(120)
class AuditQueryFiltersTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void secretKeyActorAndOutcomeNarrowTheLog() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_2\"}").status());
            for (String key : new String[] {"KEY_A", "KEY_B"}) {
                assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", key, "value", "value-" + key, "type", "api_key"))).status());
            }
            Response issued = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
            String token = issued.json().get("token").asText();
            String other = vault.post("/v1/identities/agent_2/tokens", OWNER, "{}").json().get("token").asText();
            for (int i = 0; i < 3; i++) {
                assertEquals(200, vault.get("/v1/vault/secrets/agent_1/KEY_A", token).status());
            }
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/KEY_B", token).status());
            assertEquals(403, vault.get("/v1/vault/secrets/agent_1/KEY_A", other).status());

            JsonNode reads = items(vault, "secretKey=KEY_A&action=secret.read&outcome=SUCCESS");
            assertEquals(3, reads.size(), reads.toString());
            String actor = reads.get(0).get("actor").asText();
            assertTrue(actor.startsWith("identity:agent_1/"), actor);
            for (JsonNode e : reads) {
                assertEquals("KEY_A", e.get("secretKey").asText());
            }
            assertEquals(4, items(vault, "action=secret.read&actor=" + actor).size());
            JsonNode denied = items(vault, "secretKey=KEY_A&outcome=denied");
            assertEquals(1, denied.size(), denied.toString());
            assertTrue(denied.get(0).get("actor").asText().startsWith("identity:agent_2/"));
            assertEquals(0, items(vault, "secretKey=KEY_C").size());

            Response bad = vault.get("/v1/vault/audit/logs?outcome=MAYBE", OWNER);
            assertEquals(400, bad.status(), bad.body());
            assertEquals("invalid_argument", bad.code());
        }
    }

    private static JsonNode items(TestVault vault, String query) {
        Response r = vault.get("/v1/vault/audit/logs?limit=100&" + query, OWNER);
        assertEquals(200, r.status(), r.body());
        return r.json().get("items");
    }
}
