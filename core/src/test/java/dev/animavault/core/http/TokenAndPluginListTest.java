package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/identities/{id}/tokens} and {@code GET /v1/sys/plugins} over HTTP. */
@Timeout(120)
class TokenAndPluginListTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void tokensAreListedWithoutTheTokenAndTheListIsAudited() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_2\"}").status());
            Response first = vault.post("/v1/identities/agent_1/tokens", OWNER,
                    "{\"name\":\"ci\",\"keys\":[\"B\",\"A\"],\"ttl\":\"1h\"}");
            assertEquals(201, first.status(), first.body());
            Response second = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
            vault.post("/v1/identities/agent_2/tokens", OWNER, "{}");
            String secondToken = second.json().get("token").asText();

            Response list = vault.get("/v1/identities/agent_1/tokens", OWNER);
            assertEquals(200, list.status(), list.body());
            JsonNode items = list.json().get("items");
            assertEquals(2, items.size(), list.body());
            JsonNode ci = items.get(0);
            assertEquals(first.json().get("id").asText(), ci.get("id").asText());
            assertEquals("ci", ci.get("name").asText());
            assertEquals("[\"A\",\"B\"]", ci.get("keys").toString());
            assertEquals(first.json().get("expiresAt").asText(), ci.get("expiresAt").asText());
            assertTrue(ci.hasNonNull("createdAt"));
            assertTrue(items.get(1).get("expiresAt").isNull());
            assertFalse(list.body().contains(first.json().get("token").asText()), "never the token");
            assertFalse(list.body().contains(secondToken), "never the token");
            assertFalse(list.body().contains("mac") || list.body().contains("sig"), list.body());

            // revoked tokens disappear
            assertEquals(204, vault.delete("/v1/identities/agent_1/tokens/" + ci.get("id").asText(), OWNER).status());
            assertEquals(1, vault.get("/v1/identities/agent_1/tokens", OWNER).json().get("items").size());

            // an identity token may not list, an unknown identity is 404, and the list is audited
            Response denied = vault.get("/v1/identities/agent_1/tokens", secondToken);
            assertEquals(403, denied.status(), denied.body());
            assertEquals(404, vault.get("/v1/identities/nobody/tokens", OWNER).status());
            JsonNode events = vault.get("/v1/vault/audit/logs?action=token.list&limit=10", OWNER).json().get("items");
            List<String> outcomes = new ArrayList<>();
            events.forEach(e -> outcomes.add(e.get("outcome").asText()));
            assertTrue(outcomes.contains("SUCCESS") && outcomes.contains("DENIED"), events.toString());
        }
    }

    @Test
    void pluginsAreListedWithTheirProviders() {
        try (TestVault vault = TestVault.start(tmp)) {
            Response r = vault.get("/v1/sys/plugins", OWNER);
            assertEquals(200, r.status(), r.body());
            List<String> credentialTypes = new ArrayList<>();
            List<String> backends = new ArrayList<>();
            for (JsonNode p : r.json().get("items")) {
                assertTrue(p.hasNonNull("id") && p.hasNonNull("version"), p.toString());
                p.get("credentialTypes").forEach(n -> credentialTypes.add(n.asText()));
                p.get("storageBackends").forEach(n -> backends.add(n.asText()));
            }
            assertTrue(credentialTypes.contains("api_key"), r.body());
            assertTrue(backends.contains("jdbc"), r.body());
            // issue 19: installed plugins the configuration does not use are listed, from their declaration
            assertTrue(backends.contains("file"), r.body());
            Map<String, Boolean> loaded = new java.util.TreeMap<>();
            r.json().get("items").forEach(p -> loaded.put(p.get("id").asText(), p.get("loaded").asBoolean()));
            assertEquals(true, loaded.get("storage-jdbc"), r.body());
            assertEquals(false, loaded.get("storage-file"), r.body());
            assertEquals(401, vault.get("/v1/sys/plugins", null).status());
            assertEquals(1, vault.get("/v1/vault/audit/logs?action=plugin.list&outcome=SUCCESS", OWNER)
                    .json().get("items").size());
        }
    }
}
