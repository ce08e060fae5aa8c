package dev.animavault.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.plugin.TestPluginBuilder;
import dev.animavault.spi.PageRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No state change without an audit record: a mutation's attempt is recorded before the change (refused,
 * nothing changed, when no sink takes it) and its outcome after (issue 10, item 3).
 */
class AuditBeforeCommitTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void noMutationIsCommittedWhenNoSinkRecordsItsAttempt() throws Exception {
        Path zip = TestPluginBuilder.licensePlugin("license-plugin").buildInto(Files.createDirectories(tmp.resolve("built")));
        Path flag = tmp.resolve("audit-off");
        try (TestVault vault = TestVault.start(tmp, b -> b
                .audit(List.of(new ProviderSpec("switchable", Map.of("fail-flag", flag.toString()))))
                .auditTimeout(Duration.ofSeconds(2)), zip)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K", "value-one-1")).status());
            Response issued = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
            assertEquals(201, issued.status(), issued.body());
            String token = issued.json().get("token").asText();
            String tokenId = issued.json().get("id").asText();
            int tokenRecords = tokenRecords(vault);

            Files.createFile(flag);
            assertRefused(vault.post("/v1/identities", OWNER, "{\"id\":\"agent_2\"}"));
            assertRefused(vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "NEW", "value-new-1")));
            assertRefused(vault.put("/v1/vault/secrets/agent_1/K", OWNER, "{\"value\":\"value-two-2\"}"));
            assertRefused(vault.delete("/v1/vault/secrets/agent_1/K", OWNER));
            assertRefused(vault.post("/v1/identities/agent_1/tokens", OWNER, "{}"));
            assertRefused(vault.delete("/v1/identities/agent_1/tokens/" + tokenId, OWNER));
            assertRefused(vault.delete("/v1/identities/agent_1", OWNER));
            assertEquals(tokenRecords, tokenRecords(vault), "no token record was stored");
            Files.delete(flag);

            assertEquals(404, vault.get("/v1/identities/agent_2", OWNER).status(), "identity not created");
            assertEquals(404, vault.get("/v1/vault/secrets/agent_1/NEW", OWNER).status(), "secret not created");
            Response read = vault.get("/v1/vault/secrets/agent_1/K", token);
            assertEquals(200, read.status(), "secret not deleted, token not revoked: " + read.body());
            assertEquals("value-one-1", read.json().get("value").asText(), "no version added");
            assertEquals(1, read.json().get("currentVersion").asInt());
            assertFalse(vault.get("/v1/identities/agent_1", OWNER).json().get("disabled").asBoolean(),
                    "identity not disabled");
        }
    }

    @Test
    void aMutationIsRecordedAsAttemptThenOutcome() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K", "value-one-1")).status());
            assertEquals(409, vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K", "value-one-1")).status());
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", OWNER).status());

            List<JsonNode> creates = events(vault, "secret.create");
            assertEquals(List.of("ATTEMPT", "SUCCESS", "ATTEMPT", "FAILURE"),
                    creates.stream().map(e -> e.get("outcome").asText()).toList());
            for (int i = 0; i < creates.size(); i += 2) {
                JsonNode attempt = creates.get(i);
                JsonNode outcome = creates.get(i + 1);
                assertEquals(attempt.get("requestId").asText(), outcome.get("requestId").asText());
                assertEquals(attempt.get("id").asText(), outcome.path("details").path("attempt").asText(),
                        "the outcome names its attempt");
                assertTrue(attempt.get("id").asText().compareTo(outcome.get("id").asText()) < 0);
                assertEquals("K", attempt.get("secretKey").asText());
            }
            assertEquals("already_exists", creates.get(3).get("errorCode").asText());
            // a read changes nothing: one event, no attempt
            assertEquals(List.of("SUCCESS"), events(vault, "secret.read").stream()
                    .map(e -> e.get("outcome").asText()).toList());
        }
    }

    private static void assertRefused(Response r) {
        assertEquals(503, r.status(), r.body());
        assertEquals("audit_unavailable", r.code());
        assertTrue(r.json().get("detail").asText().contains("nothing was changed"), r.body());
    }

    private static int tokenRecords(TestVault vault) {
        return vault.node().storage().listRecords(TokenService.NAMESPACE, PageRequest.first(1000)).items().size();
    }

    /** The events of an action, oldest first. */
    private static List<JsonNode> events(TestVault vault, String action) {
        Response r = vault.get("/v1/vault/audit/logs?action=" + action, OWNER);
        assertEquals(200, r.status(), r.body());
        List<JsonNode> out = new ArrayList<>();
        r.json().get("items").forEach(e -> out.add(0, e));
        return out;
    }

    private static String secret(String identity, String key, String value) {
        return TestVault.json(Map.of("identityId", identity, "key", key, "value", value, "type", "api_key"));
    }
}
