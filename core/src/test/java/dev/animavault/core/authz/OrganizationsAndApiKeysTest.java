package dev.animavault.core.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Organizations (create, list, disable) and scoped API keys (create, list, revoke, expiry, audit) over HTTP. */
@Timeout(120)
class OrganizationsAndApiKeysTest {
    private static final String INSTANCE = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void organizationsAreCreatedListedAndDisabledAndADisabledOrganizationsKeysStopWorking() {
        try (TestVault vault = TestVault.start(tmp)) {
            Response created = vault.post("/v1/sys/organizations", INSTANCE, "{\"id\":\"acme\",\"name\":\"Acme\"}");
            assertEquals(201, created.status(), created.body());
            String acmeKey = created.json().get("ownerKey").get("token").asText();
            assertTrue(acmeKey.startsWith("avk_"), created.body());
            assertFalse(created.json().get("ownerKey").get("permissions").toString().contains("orgs:write"),
                    "a new organization's owner key is no instance owner: " + created.body());
            assertEquals(409, vault.post("/v1/sys/organizations", INSTANCE, "{\"id\":\"acme\"}").status());
            assertEquals(400, vault.post("/v1/sys/organizations", INSTANCE, "{\"id\":\"bad id!\"}").status());

            // the new organization works on its own, and sees nothing of the first one
            assertEquals(201, vault.post("/v1/identities", acmeKey, "{\"id\":\"bot\"}").status());
            assertEquals(201, vault.post("/v1/identities", INSTANCE, "{\"id\":\"bot\"}").status(),
                    "the same identity id in another organization is another identity");
            assertEquals(1, vault.get("/v1/identities", acmeKey).json().get("items").size());
            String botToken = vault.post("/v1/identities/bot/tokens", acmeKey, "{}").json().get("token").asText();
            // an admin of acme with a session (password + TOTP enrollment)
            String login = TestVault.json(java.util.Map.of("organizationId", "acme", "username", "ada",
                    "password", "a long enough passphrase"));
            assertEquals(201, vault.post("/v1/admins", acmeKey, TestVault.json(java.util.Map.of("username", "ada",
                    "password", "a long enough passphrase", "role", "admin"))).status());
            JsonNode first = vault.post("/v1/auth/login", null, login).json();
            byte[] totp = org.bouncycastle.util.encoders.Base32.decode(first.get("totpSecret").asText());
            Response enrolled = vault.post("/v1/auth/mfa", null, TestVault.json(java.util.Map.of("challenge",
                    first.get("challenge").asText(), "code", dev.animavault.core.admin.Totp.code(totp,
                            dev.animavault.core.admin.Totp.step(java.time.Instant.now()), 6))));
            assertEquals(200, enrolled.status(), enrolled.body());
            String adaSession = enrolled.json().get("session").asText();
            assertEquals(200, vault.get("/v1/identities", adaSession).status());

            JsonNode listed = vault.get("/v1/sys/organizations", INSTANCE).json().get("items");
            assertEquals(List.of("acme", "default"), ids(listed));
            assertEquals(403, vault.get("/v1/sys/organizations", acmeKey).status());

            // the instance owner cannot lock itself out; others cannot disable at all
            assertEquals(400, vault.delete("/v1/sys/organizations/default", INSTANCE).status());
            assertEquals(403, vault.delete("/v1/sys/organizations/acme", acmeKey).status());
            assertEquals(404, vault.delete("/v1/sys/organizations/nobody", INSTANCE).status());

            Response disabled = vault.delete("/v1/sys/organizations/acme", INSTANCE);
            assertEquals(200, disabled.status(), disabled.body());
            assertTrue(disabled.json().get("disabled").asBoolean());
            assertEquals(401, vault.get("/v1/identities", acmeKey).status(), "its API keys stop working");
            assertEquals(401, vault.get("/v1/vault/secrets/bot", botToken).status(), "and its identity tokens");
            assertEquals(200, vault.delete("/v1/sys/organizations/acme", INSTANCE).status(), "idempotent");
            assertEquals(200, vault.get("/v1/identities", INSTANCE).status(), "other organizations go on");
            assertEquals(401, vault.get("/v1/identities", adaSession).status(), "its admin sessions end");
            assertEquals(401, vault.post("/v1/auth/login", null, login).status(), "and its admins cannot log in");

            // enabled again by the instance owner only: its keys and identity tokens work again
            assertEquals(401, vault.post("/v1/sys/organizations/acme/enable", acmeKey, null).status(), "its own key is off");
            assertEquals(404, vault.post("/v1/sys/organizations/nobody/enable", INSTANCE, null).status());
            Response enabled = vault.post("/v1/sys/organizations/acme/enable", INSTANCE, null);
            assertEquals(200, enabled.status(), enabled.body());
            assertFalse(enabled.json().get("disabled").asBoolean());
            assertTrue(enabled.json().get("disabledAt").isNull());
            assertEquals(200, vault.get("/v1/identities", acmeKey).status(), "its API keys work again");
            assertEquals(200, vault.get("/v1/vault/secrets/bot", botToken).status(), "and its identity tokens");
            assertEquals(200, vault.get("/v1/identities", adaSession).status(), "and its admin sessions");
            assertEquals(200, vault.post("/v1/sys/organizations/acme/enable", INSTANCE, null).status(), "idempotent");
            assertTrue(vault.get("/v1/vault/audit/logs?action=org.enable&outcome=SUCCESS&limit=10", INSTANCE)
                    .json().get("items").size() >= 1);

            // every change is audited in the instance owner's organization, naming the organization
            JsonNode events = vault.get("/v1/vault/audit/logs?action=org.disable&outcome=SUCCESS&limit=10", INSTANCE)
                    .json().get("items");
            assertTrue(events.size() >= 1, events.toString());
            assertEquals("acme", events.get(0).get("details").get("organization").asText(), events.toString());
            JsonNode creates = vault.get("/v1/vault/audit/logs?action=org.create&outcome=SUCCESS&limit=10", INSTANCE)
                    .json().get("items");
            // the API key id is recorded as its audit-key HMAC (issue 15)
            assertEquals(vault.recorded(created.json().get("ownerKey").get("id").asText()),
                    creates.get(0).get("details").get("apiKey").asText(), creates.toString());
            assertFalse(creates.toString().contains(acmeKey), "never the key itself");
        }
    }

    @Test
    void scopedKeysAreListedWithoutTheKeyLimitedToTheirCreatorsPermissionsAndRevocable() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", INSTANCE, "{\"id\":\"agent_a\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", INSTANCE,
                    "{\"identityId\":\"agent_a\",\"key\":\"db\",\"value\":\"v1\"}").status());
            String admin = PermissionMatrixTest.apiKey(vault, INSTANCE, Role.ADMIN.permissions(), null);

            Response reader = vault.post("/v1/api-keys", admin, "{\"name\":\"ci reader\",\"permissions\":"
                    + "[\"secrets:read\",\"secrets:list\"],\"ttl\":\"1h\",\"identityId\":\"agent_a\"}");
            assertEquals(201, reader.status(), reader.body());
            String readerKey = reader.json().get("token").asText();
            assertEquals("[\"secrets:list\",\"secrets:read\"]", reader.json().get("permissions").toString());
            assertEquals("agent_a", reader.json().get("identityId").asText());
            assertTrue(reader.json().hasNonNull("expiresAt"), reader.body());
            assertEquals("v1", vault.get("/v1/vault/secrets/agent_a/db", readerKey).json().get("value").asText());
            assertEquals(403, vault.put("/v1/vault/secrets/agent_a/db", readerKey, "{\"value\":\"v2\"}").status());

            // bad requests
            assertEquals(400, vault.post("/v1/api-keys", admin, "{\"permissions\":[]}").status());
            assertEquals(400, vault.post("/v1/api-keys", admin, "{\"permissions\":[\"secrets:everything\"]}").status());
            assertEquals(400, vault.post("/v1/api-keys", admin, "{\"name\":\"x\"}").status());
            assertEquals(400, vault.post("/v1/api-keys", admin, "{\"permissions\":[\"secrets:read\"],\"ttl\":\"-1h\"}")
                    .status());
            assertEquals(404, vault.post("/v1/api-keys", admin,
                    "{\"permissions\":[\"secrets:read\"],\"identityId\":\"nobody\"}").status());
            Response escalation = vault.post("/v1/api-keys", admin, "{\"permissions\":[\"admins:write\"]}");
            assertEquals(403, escalation.status(), escalation.body());
            assertTrue(escalation.body().contains("admins:write"), escalation.body());

            // the list shows metadata only
            Response list = vault.get("/v1/api-keys", admin);
            assertEquals(200, list.status(), list.body());
            assertFalse(list.body().contains(readerKey) || list.body().contains(admin), list.body());
            assertFalse(list.body().contains("\"mac\"") || list.body().contains("\"sig\""), list.body());
            JsonNode item = find(list.json().get("items"), reader.json().get("id").asText());
            assertEquals("ci reader", item.get("name").asText());
            assertEquals("agent_a", item.get("identityId").asText());
            assertEquals(reader.json().get("expiresAt").asText(), item.get("expiresAt").asText());

            // an admin key cannot revoke a key holding more than it does (the instance owner's)
            String instanceId = find(list.json().get("items"), null).get("id").asText();
            assertEquals(403, vault.delete("/v1/api-keys/" + instanceId, admin).status());
            assertEquals(200, vault.get("/v1/identities", INSTANCE).status());
            // identity tokens are not API keys
            String identityTokenId = vault.post("/v1/identities/agent_a/tokens", INSTANCE, "{}").json().get("id")
                    .asText();
            assertEquals(404, vault.delete("/v1/api-keys/" + identityTokenId, admin).status());

            assertEquals(204, vault.delete("/v1/api-keys/" + reader.json().get("id").asText(), admin).status());
            assertEquals(401, vault.get("/v1/vault/secrets/agent_a/db", readerKey).status(), "revoked at once");
            assertEquals(404, vault.delete("/v1/api-keys/" + reader.json().get("id").asText(), admin).status());

            JsonNode created = vault.get("/v1/vault/audit/logs?action=apikey.create&outcome=SUCCESS&limit=20",
                    INSTANCE).json().get("items");
            // the key's id is recorded as its audit-key HMAC (issue 15), never in clear
            assertTrue(created.toString().contains(vault.recorded(reader.json().get("id").asText())),
                    created.toString());
            assertFalse(created.toString().contains(reader.json().get("id").asText()), created.toString());
            assertTrue(created.toString().contains("secrets:list,secrets:read"), created.toString());
            JsonNode revoked = vault.get("/v1/vault/audit/logs?action=apikey.revoke&limit=20", INSTANCE).json()
                    .get("items");
            assertTrue(revoked.toString().contains("DENIED") && revoked.toString().contains("SUCCESS"),
                    revoked.toString());
        }
    }

    @Test
    void anAuditorKeyReadsMetadataAuditAndReportsButNeverAValue() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", INSTANCE, "{\"id\":\"agent_a\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", INSTANCE,
                    "{\"identityId\":\"agent_a\",\"key\":\"db\",\"value\":\"never-for-auditors\"}").status());
            String auditor = PermissionMatrixTest.apiKey(vault, INSTANCE, Role.AUDITOR.permissions(), null);
            Response list = vault.get("/v1/vault/secrets/agent_a", auditor);
            assertEquals(200, list.status(), list.body());
            assertEquals("db", list.json().get("items").get(0).get("key").asText());
            for (String path : List.of("/v1/vault/secrets/agent_a/db", "/v1/vault/secrets/agent_a/db?version=1",
                    "/v1/vault/secrets/agent_a/db?form=stored")) {
                Response r = vault.get(path, auditor);
                assertEquals(403, r.status(), path + ": " + r.body());
                assertFalse(r.body().contains("never-for-auditors"), r.body());
            }
            assertEquals(200, vault.get("/v1/vault/audit/logs", auditor).status());
            assertEquals(200, vault.get("/v1/vault/audit/reports", auditor).status());
        }
    }

    private static List<String> ids(JsonNode items) {
        List<String> out = new java.util.ArrayList<>();
        items.forEach(i -> out.add(i.get("id").asText()));
        return out;
    }

    /** The item with that id, or (id null) the one holding orgs:write. */
    private static JsonNode find(JsonNode items, String id) {
        for (JsonNode i : items) {
            if (id == null ? i.get("permissions").toString().contains("orgs:write") : i.get("id").asText().equals(id)) {
                return i;
            }
        }
        throw new AssertionError("no " + id + " in " + items);
    }
}
