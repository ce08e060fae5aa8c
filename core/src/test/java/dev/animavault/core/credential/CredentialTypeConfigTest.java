package dev.animavault.core.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-type configuration reaches the real api_key plugin: max-length, per-provider formats and hints. */
class CredentialTypeConfigTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void apiKeyConfigurationIsLive() {
        ProviderSpec apiKey = new ProviderSpec("api_key", Map.of("max-length", "40",
                "formats", "openai=sk-(proj-)?[A-Za-z0-9_-]{20,}\nstripe=sk_(live|test)_[A-Za-z0-9]{16,}"));
        try (TestVault vault = TestVault.start(tmp, b -> b.credentialTypeSpecs(List.of(apiKey)))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());

            Response tooLong = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "LONG", "type", "api_key", "value", "k".repeat(41))));
            assertEquals(413, tooLong.status(), tooLong.body());
            assertEquals("value_too_large", tooLong.code());

            Response wrongFormat = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "OPENAI", "type", "api_key", "value", "ghp_notAnOpenAiKeyAtAll12345",
                    "metadata", Map.of("provider", "openai"))));
            assertEquals(422, wrongFormat.status(), wrongFormat.body());
            assertEquals("invalid_value", wrongFormat.code());
            assertTrue(wrongFormat.body().contains("openai"), wrongFormat.body());
            assertFalse(wrongFormat.body().contains("notAnOpenAiKey"), wrongFormat.body());

            String key = "sk-proj-abcdefghij0123456789x7Qa";
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "OPENAI", "type", "api_key", "value", key, "metadata", Map.of("provider", "openai"))))
                    .status());
            // no label: no format check
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "SHORT", "type", "api_key", "value", "short-key"))).status());

            Response list = vault.get("/v1/vault/secrets/agent_1", OWNER);
            assertEquals(200, list.status(), list.body());
            JsonNode items = list.json().get("items");
            assertEquals("OPENAI", items.get(0).get("key").asText());
            assertEquals("sk-p...x7Qa", items.get(0).get("hint").asText());
            assertEquals("SHORT", items.get(1).get("key").asText());
            assertFalse(items.get(1).has("hint"), "short values get no hint");
            assertFalse(list.body().contains(key), "listings never carry values");

            // a new version gets its own hint
            Response put = vault.put("/v1/vault/secrets/agent_1/OPENAI", OWNER,
                    "{\"value\":\"sk-proj-zyxwvutsrq9876543210Zz99\"}");
            assertEquals(200, put.status(), put.body());
            assertEquals("sk-p...Zz99", put.json().get("hint").asText());
        }
    }

    @Test
    void unknownTypeConfigurationKeyStopsStartupNamingIt() {
        ProviderSpec apiKey = new ProviderSpec("api_key", Map.of("max-lenght", "40"));
        VaultException e = assertThrows(VaultException.class,
                () -> TestVault.start(tmp, b -> b.credentialTypeSpecs(List.of(apiKey))).close());
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(e.getMessage().contains("'max-lenght'") && e.getMessage().contains("vault.credential-types[0]"),
                e.getMessage());
    }

    @Test
    void postWithGenerateStoresAGeneratedPasswordTheCallerThenReads() {
        try (TestVault vault = TestVault.start(tmp, b -> b.credentialTypes(List.of("api_key", "password")))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            Response created = vault.post("/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_1\",\"key\":\"DB_PASSWORD\","
                    + "\"type\":\"password\",\"generate\":{\"length\":32,\"classes\":[\"lower\",\"digit\"]}}");
            assertEquals(201, created.status(), created.body());
            assertFalse(created.json().has("value"), created.body());
            assertFalse(created.json().has("hint"), "passwords get no hint");

            Response read = vault.get("/v1/vault/secrets/agent_1/DB_PASSWORD", OWNER);
            assertEquals(200, read.status(), read.body());
            String password = read.json().get("value").asText();
            assertEquals(32, password.length());
            assertTrue(password.chars().allMatch(c -> Character.isLowerCase(c) || Character.isDigit(c)), "classes");
            assertFalse(created.body().contains(password));

            Response apiKey = vault.post("/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_1\",\"key\":\"API\","
                    + "\"type\":\"api_key\",\"generate\":{\"prefix\":\"sk_test_\",\"length\":30}}");
            assertEquals(201, apiKey.status(), apiKey.body());
            assertTrue(apiKey.json().get("hint").asText().startsWith("sk_t..."), apiKey.body());

            Response badPolicy = vault.post("/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_1\",\"key\":\"P2\","
                    + "\"type\":\"password\",\"generate\":{\"length\":3}}");
            assertEquals(400, badPolicy.status(), badPolicy.body());
            assertEquals("invalid_argument", badPolicy.code());
            Response both = vault.post("/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_1\",\"key\":\"P3\","
                    + "\"type\":\"password\",\"value\":\"x\",\"generate\":{}}");
            assertEquals(400, both.status(), both.body());
            Response neither = vault.post("/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_1\",\"key\":\"P4\","
                    + "\"type\":\"password\"}");
            assertEquals(400, neither.status(), neither.body());
        }
    }

    @Test
    void aSecretWhoseTypeIsNoLongerEnabledIsNotHandedToAgentsUnmaterialized() {
        String agent;
        try (TestVault vault = TestVault.start(tmp, b -> b.credentialTypes(List.of("api_key", "password")))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "PW", "type", "password", "value", "stored-form-of-a-password"))).status());
            agent = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();
        }
        try (TestVault vault = TestVault.start(tmp, b -> b.credentialTypes(List.of("api_key")))) {
            Response refused = vault.get("/v1/vault/secrets/agent_1/PW", agent);
            assertEquals(422, refused.status(), refused.body());
            assertEquals("unknown_type", refused.code());
            assertFalse(refused.body().contains("stored-form-of-a-password"));
            Response owner = vault.get("/v1/vault/secrets/agent_1/PW", OWNER);
            assertEquals(200, owner.status(), owner.body());
            Response storedForm = vault.get("/v1/vault/secrets/agent_1/PW?form=stored", agent);
            assertEquals(403, storedForm.status(), storedForm.body());
            assertEquals(400, vault.get("/v1/vault/secrets/agent_1/PW?form=raw", OWNER).status());
        }
    }
}
