package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.plugin.TestPluginBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rotation engine end to end: a real vault (SQLite, real plugin zips, plus a test credential type
 * that can generate values) delivering to a real HTTP receiver on 127.0.0.1, signatures checked with
 * Standard Webhooks verification written in the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RotationTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path tmp;
    TestVault vault;
    String signingSecret;

    /** A credential type that generates random values: rotation's generate mode without the password plugin. */
    static Path generatingTypePlugin(Path dir) throws Exception {
        return TestPluginBuilder.plugin("test-generating-type").source("org.example.gen.GenPlugin", """
                package org.example.gen;
                import dev.animavault.spi.*;
                import dev.animavault.spi.credential.*;
                import java.security.SecureRandom;
                import java.util.*;
                @org.pf4j.Extension
                public class GenPlugin implements VaultPlugin {
                    public List<CredentialTypeFactory> credentialTypes() {
                        return List.of(new CredentialTypeFactory() {
                            public String name() { return "test_password"; }
                            public List<ConfigProperty> configProperties() { return List.of(); }
                            public CredentialType create(ProviderConfig c, PluginContext x) {
                                return new CredentialType() {
                                    final SecureRandom random = new SecureRandom();
                                    public String id() { return "test_password"; }
                                    public void validate(SecretValue v) { }
                                    public Optional<SecretValue> generate(Map<String, String> policy) {
                                        String abc = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
                                        StringBuilder b = new StringBuilder("gen-");
                                        for (int i = 0; i < 24; i++) b.append(abc.charAt(random.nextInt(abc.length())));
                                        return Optional.of(SecretValue.ofUtf8(b.toString()));
                                    }
                                };
                            }
                        });
                    }
                }
                """).buildInto(Files.createDirectories(dir));
    }

    @BeforeAll
    void start() throws Exception {
        Path zip = generatingTypePlugin(tmp.resolve("built"));
        RotationConfig rotation = new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                List.of(Duration.ofMillis(200), Duration.ofMillis(200)), Duration.ofSeconds(3), Duration.ofHours(1));
        vault = TestVault.start(tmp.resolve("vault"), b -> b
                .credentialTypes(List.of("test_password", "api_key"))
                .defaultCredentialType("test_password")
                .egressAllow(List.of("127.0.0.1"))
                .rotation(rotation), zip);
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_123\"}").status());
        Response s = vault.post("/v1/vault/rotation/signing-secret", OWNER, "{}");
        assertEquals(201, s.status(), s.body());
        signingSecret = s.json().get("secret").asText();
        assertTrue(signingSecret.startsWith("whsec_"));
    }

    @AfterAll
    void stop() {
        vault.close();
    }

    private Response create(String key, String value, Map<String, ?> rotation) {
        return vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123", "key", key,
                "value", value, "rotation", rotation)));
    }

    private String agentToken() {
        Response r = vault.post("/v1/identities/agent_123/tokens", OWNER, "{}");
        assertEquals(201, r.status(), r.body());
        return r.json().get("token").asText();
    }

    private JsonNode metadata(String key) {
        Response list = vault.get("/v1/vault/secrets/agent_123?limit=1000", OWNER);
        for (JsonNode item : list.json().get("items")) {
            if (item.get("key").asText().equals(key)) {
                return item;
            }
        }
        throw new AssertionError("no secret " + key);
    }

    private List<JsonNode> audit(String action, String key) {
        Response r = vault.get("/v1/vault/audit/logs?identityId=agent_123&action=" + action + "&limit=1000", OWNER);
        assertEquals(200, r.status(), r.body());
        List<JsonNode> out = new java.util.ArrayList<>();
        r.json().get("items").forEach(e -> {
            if (key.equals(e.path("secretKey").asText())) {
                out.add(e);
            }
        });
        return out;
    }

    @Test
    void theProductExampleIsAcceptedWithoutAType() {
        Response r = vault.post("/v1/vault/secrets", OWNER, """
                {"identityId": "agent_123", "key": "DATABASE_PASSWORD", "value": "temporary-pwd",
                 "rotation": {"interval": "30d", "webhookUrl": "https://agent-api.com/rotate-db-secret"}}""");
        assertEquals(201, r.status(), r.body());
        assertEquals("test_password", r.json().get("type").asText(), "vault.default-credential-type");
        JsonNode rot = r.json().get("rotation");
        assertEquals("PT720H", rot.get("interval").asText());
        assertEquals("generate", rot.get("mode").asText(), "the type can generate");
        assertEquals("ok", rot.get("status").asText());
        assertNotNull(rot.get("nextRotationAt").asText(null));
        assertNotNull(rot.get("expiresAt").asText(null));
        assertFalse(r.body().contains("temporary-pwd"));
        assertEquals("ok", metadata("DATABASE_PASSWORD").get("rotation").get("status").asText(), "listings show it");
    }

    @Test
    void badPoliciesAreClear400s() {
        Map<String, Map<String, String>> bad = Map.of(
                "short", Map.of("interval", "500ms", "webhookUrl", "https://agent-api.com/x"),
                "plain http", Map.of("interval", "1h", "webhookUrl", "http://agent-api.com/x"),
                "private address", Map.of("interval", "1h", "webhookUrl", "https://10.1.2.3/x"),
                "loopback not listed", Map.of("interval", "1h", "webhookUrl", "https://[::1]/x"),
                "mode", Map.of("interval", "1h", "webhookUrl", "https://agent-api.com/x", "mode", "bogus"),
                "unknown field", Map.of("interval", "1h", "webhookUrl", "https://agent-api.com/x", "every", "1h"),
                "retired versions", Map.of("interval", "1h", "webhookUrl", "https://agent-api.com/x",
                        "retiredVersions", "shred"),
                "no url", Map.of("interval", "1h"));
        for (Map.Entry<String, Map<String, String>> e : bad.entrySet()) {
            Response r = create("BAD_" + e.getKey().replace(' ', '_').toUpperCase(), "v-123456", e.getValue());
            assertEquals(400, r.status(), e.getKey() + ": " + r.body());
            assertEquals("invalid_argument", r.code(), e.getKey());
            assertTrue(r.contentType().startsWith("application/problem+json"));
        }
    }

    @Test
    void expiryAloneAndPolicyPatchAndDelete() {
        Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123",
                "key", "EXPIRING", "value", "v-123456", "type", "api_key", "expiresAt", "2099-01-01T00:00:00Z")));
        assertEquals(201, r.status(), r.body());
        assertEquals("2099-01-01T00:00:00Z", r.json().get("rotation").get("expiresAt").asText().replace(".000", ""));
        assertTrue(r.json().get("rotation").get("interval").isNull());
        Response patched = vault.request("PATCH", "/v1/vault/secrets/agent_123/EXPIRING/rotation", OWNER,
                "{\"interval\":\"12h\",\"webhookUrl\":\"https://agent-api.com/hook\"}");
        assertEquals(200, patched.status(), patched.body());
        assertEquals("generate", patched.json().get("rotation").get("mode").asText(), "api_key can generate");
        assertEquals("PT12H", patched.json().get("rotation").get("interval").asText());
        Response again = vault.request("PATCH", "/v1/vault/secrets/agent_123/EXPIRING/rotation", OWNER,
                "{\"gracePeriod\":\"10m\"}");
        assertEquals("PT10M", again.json().get("rotation").get("gracePeriod").asText());
        assertEquals("PT12H", again.json().get("rotation").get("interval").asText(), "a PATCH merges");
        Response deleted = vault.delete("/v1/vault/secrets/agent_123/EXPIRING/rotation", OWNER);
        assertEquals(200, deleted.status(), deleted.body());
        assertTrue(deleted.json().get("rotation").get("interval").isNull());
        assertEquals(404, vault.delete("/v1/vault/secrets/agent_123/EXPIRING/rotation", OWNER).status());
        assertFalse(audit("secret.rotation.policy", "EXPIRING").isEmpty(), "policy changes are audited");
    }

    @Test
    void aShortIntervalRotatesByItselfWithOneSignedDelivery() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            String token = agentToken();
            Response r = create("AUTO_ROTATED", "first-value-1", Map.of("interval", "4s", "leadTime", "2s",
                    "gracePeriod", "2s", "webhookUrl", receiver.url()));
            assertEquals(201, r.status(), r.body());
            WebhookReceiver.await("a delivery", WAIT, () -> !receiver.deliveries.isEmpty());
            WebhookReceiver.await("promotion", WAIT, () -> metadata("AUTO_ROTATED").get("version").asInt() == 2);
            // stop further rotations of this secret (its grace state stays)
            assertEquals(200, vault.delete("/v1/vault/secrets/agent_123/AUTO_ROTATED/rotation", OWNER).status());
            WebhookReceiver.Delivery d = receiver.deliveries.get(0);
            assertEquals(1, receiver.deliveries.size(), "one delivery");
            assertTrue(WebhookReceiver.verify(signingSecret, d, Duration.ofMinutes(5)), "signature verifies");
            JsonNode body = TestVault.JSON.readTree(d.body());
            assertEquals("secret.rotation.due", body.get("type").asText());
            assertEquals(d.id(), body.get("data").get("rotationId").asText());
            String newValue = body.get("data").get("value").asText();
            assertTrue(newValue.startsWith("gen-"));

            Response read = vault.get("/v1/vault/secrets/agent_123/AUTO_ROTATED", token);
            assertEquals(200, read.status(), read.body());
            assertEquals(newValue, read.json().get("value").asText(), "the agent's next read has the new value");
            assertEquals(2, read.json().get("version").asInt());
            Response previous = vault.get("/v1/vault/secrets/agent_123/AUTO_ROTATED?version=1", token);
            assertEquals(200, previous.status(), previous.body());
            assertEquals("first-value-1", previous.json().get("value").asText(), "previous readable in grace");
            WebhookReceiver.await("the grace period to end", WAIT, () ->
                    vault.get("/v1/vault/secrets/agent_123/AUTO_ROTATED?version=1", token).status() == 403);
            assertEquals(200, vault.get("/v1/vault/secrets/agent_123/AUTO_ROTATED?version=1", OWNER).status(),
                    "organization keys still read retired versions");
            // each promotion is an ATTEMPT recorded before the change and its SUCCESS after
            assertEquals(1, audit("secret.rotation.promote", "AUTO_ROTATED").stream()
                    .filter(e -> "SUCCESS".equals(e.get("outcome").asText())).count());
        }
    }

    @Test
    void failuresThenSuccessMakeOneVersionAndThreeDeliveriesWithOneId() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answer(500, 500).otherwise(200)) {
            assertEquals(201, create("RETRIED", "retried-value-1", Map.of("interval", "1h",
                    "webhookUrl", receiver.url())).status());
            Response trigger = vault.post("/v1/vault/secrets/agent_123/RETRIED/rotate", OWNER, "");
            assertEquals(202, trigger.status(), trigger.body());
            WebhookReceiver.await("promotion", WAIT, () -> metadata("RETRIED").get("version").asInt() == 2);
            Thread.sleep(500); // nothing more may arrive
            assertEquals(3, receiver.deliveries.size());
            Set<String> ids = new HashSet<>();
            Set<String> bodies = new HashSet<>();
            for (WebhookReceiver.Delivery d : receiver.deliveries) {
                ids.add(d.id());
                bodies.add(d.bodyText());
                assertTrue(WebhookReceiver.verify(signingSecret, d, Duration.ofMinutes(5)));
            }
            assertEquals(1, ids.size(), "one webhook-id for every attempt");
            assertEquals(1, bodies.size(), "the same payload (and value) every attempt");
            assertEquals(404, vault.get("/v1/vault/secrets/agent_123/RETRIED?version=3", OWNER).status(),
                    "exactly one new version");
            JsonNode meta = metadata("RETRIED");
            assertEquals("ok", meta.get("rotation").get("status").asText());
            Response deliveries = vault.get("/v1/vault/secrets/agent_123/RETRIED/rotation/deliveries", OWNER);
            assertEquals(200, deliveries.status(), deliveries.body());
            List<Integer> statuses = new java.util.ArrayList<>();
            deliveries.json().get("items").forEach(i -> {
                if (i.get("event").asText().equals("secret.rotation.due")) {
                    statuses.add(i.get("status").asInt());
                }
            });
            assertEquals(List.of(500, 500, 200), statuses);
            assertFalse(deliveries.body().contains("gen-"), "deliveries never list values");
            assertEquals(3, audit("secret.rotation.deliver", "RETRIED").size());
            assertEquals(List.of("SUCCESS", "ATTEMPT"), audit("secret.rotation.trigger", "RETRIED").stream()
                    .map(e -> e.get("outcome").asText()).toList(), "one trigger: its attempt, then its outcome");

            // then one secret.rotation.succeeded event: its own webhook-id, signed, no value
            WebhookReceiver.await("the succeeded event", WAIT,
                    () -> receiver.events("secret.rotation.succeeded").size() == 1);
            WebhookReceiver.Delivery ok = receiver.events("secret.rotation.succeeded").get(0);
            assertTrue(WebhookReceiver.verify(signingSecret, ok, Duration.ofMinutes(5)));
            assertEquals(ids.iterator().next() + ".succeeded", ok.id());
            JsonNode okData = TestVault.JSON.readTree(ok.body()).get("data");
            assertEquals(2, okData.get("version").asInt());
            assertEquals(1, okData.get("previousVersion").asInt());
            assertEquals(ids.iterator().next(), okData.get("rotationId").asText());
            assertFalse(ok.bodyText().contains("gen-"), "events carry no value");
            assertEquals(1, audit("secret.event.deliver", "RETRIED").size());
            assertTrue(receiver.events("secret.rotation.failed").isEmpty());

            // deleting the secret forgets its deliveries: a new secret of that name starts clean
            assertEquals(204, vault.delete("/v1/vault/secrets/agent_123/RETRIED", OWNER).status());
            assertEquals(201, create("RETRIED", "reborn-value-1", Map.of("interval", "1h",
                    "webhookUrl", receiver.url())).status());
            assertEquals(0, vault.get("/v1/vault/secrets/agent_123/RETRIED/rotation/deliveries", OWNER).json()
                    .get("items").size());
        }
    }

    @Test
    void aReceiverThatAlwaysFailsLeavesTheCurrentValueAndStatusFailed() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(503)) {
            String token = agentToken();
            assertEquals(201, create("FAILING", "still-working-1", Map.of("interval", "1h",
                    "webhookUrl", receiver.url())).status());
            assertEquals(202, vault.post("/v1/vault/secrets/agent_123/FAILING/rotate", OWNER, "").status());
            WebhookReceiver.await("status failed", WAIT, () ->
                    metadata("FAILING").get("rotation").get("status").asText().equals("failed"));
            assertEquals(3, receiver.deliveries.size(), "1 + the 2 retries configured");
            JsonNode meta = metadata("FAILING");
            assertEquals(1, meta.get("version").asInt());
            assertTrue(meta.get("rotation").get("lastError").asText().contains("503"));
            Response read = vault.get("/v1/vault/secrets/agent_123/FAILING", token);
            assertEquals(200, read.status());
            assertEquals("still-working-1", read.json().get("value").asText());
            List<JsonNode> attempts = audit("secret.rotation.deliver", "FAILING");
            assertEquals(3, attempts.size(), "every attempt audited");
            attempts.forEach(e -> assertEquals("FAILURE", e.get("outcome").asText()));
            // the failure is audited right after the status is written: wait for it, then check it stays one
            WebhookReceiver.await("the fail audit event", WAIT, () -> audit("secret.rotation.fail", "FAILING").size() >= 1);
            assertEquals(1, audit("secret.rotation.fail", "FAILING").size());
            // one secret.rotation.failed event once the attempts are exhausted
            WebhookReceiver.await("the failed event", WAIT, () -> receiver.events("secret.rotation.failed").size() == 1);
            WebhookReceiver.Delivery failed = receiver.events("secret.rotation.failed").get(0);
            assertTrue(WebhookReceiver.verify(signingSecret, failed, Duration.ofMinutes(5)));
            assertEquals(receiver.deliveries.get(0).id() + ".failed", failed.id());
            JsonNode failedData = TestVault.JSON.readTree(failed.body()).get("data");
            assertEquals(3, failedData.get("attempts").asInt());
            assertTrue(failedData.get("lastError").asText().contains("503"), failedData.toString());
            assertEquals(1, failedData.get("currentVersion").asInt());
            Thread.sleep(500);
            assertEquals(1, receiver.events.size(), "one event, no succeeded");
            // the abandoned pending version is never served to the agent
            assertEquals(403, vault.get("/v1/vault/secrets/agent_123/FAILING?version=2", token).status());
        }
    }

    @Test
    void webhookModeTakesTheValueFromTheResponse() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200).body("{\"value\":\"from-receiver-42\"}")) {
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123",
                    "key", "WEBHOOK_MODE", "value", "old-value-123", "type", "api_key", "rotation", Map.of(
                            "interval", "1h", "mode", "webhook", "webhookUrl", receiver.url())))).status());
            assertEquals(202, vault.post("/v1/vault/secrets/agent_123/WEBHOOK_MODE/rotate", OWNER, "").status());
            try {
                WebhookReceiver.await("promotion", WAIT, () -> metadata("WEBHOOK_MODE").get("version").asInt() == 2);
            } catch (AssertionError e) {
                throw new AssertionError(metadata("WEBHOOK_MODE") + " " + vault.get(
                        "/v1/vault/secrets/agent_123/WEBHOOK_MODE/rotation/deliveries", OWNER).body(), e);
            }
            assertEquals("from-receiver-42", vault.get("/v1/vault/secrets/agent_123/WEBHOOK_MODE", OWNER).json()
                    .get("value").asText());
            assertFalse(receiver.deliveries.get(0).bodyText().contains("old-value"), "webhook mode sends no value");
        }
    }

    @Test
    void notifyModeWaitsForAPut() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(204)) {
            assertEquals(201, create("NOTIFIED", "notify-old-1", Map.of("interval", "1h", "mode", "notify",
                    "webhookUrl", receiver.url())).status());
            assertEquals(202, vault.post("/v1/vault/secrets/agent_123/NOTIFIED/rotate", OWNER, "").status());
            WebhookReceiver.await("a delivery", WAIT, () -> !receiver.deliveries.isEmpty());
            WebhookReceiver.await("rotating", WAIT, () ->
                    metadata("NOTIFIED").get("rotation").get("status").asText().equals("rotating"));
            Response put = vault.put("/v1/vault/secrets/agent_123/NOTIFIED", OWNER, "{\"value\":\"notify-new-2\"}");
            assertEquals(200, put.status(), put.body());
            assertEquals("ok", put.json().get("rotation").get("status").asText());
            assertNotEquals(null, put.json().get("rotation").get("lastRotatedAt").asText(null));
            assertEquals(1, receiver.deliveries.size());
        }
    }

    @Test
    void aNewSigningSecretSignsBesideTheOldOneDuringTheOverlap() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            Response s = vault.post("/v1/vault/rotation/signing-secret", OWNER, "{}");
            assertEquals(201, s.status());
            String fresh = s.json().get("secret").asText();
            assertNotEquals(signingSecret, fresh);
            assertEquals(201, create("SIGNED_TWICE", "signed-value-1", Map.of("interval", "1h",
                    "webhookUrl", receiver.url())).status());
            assertEquals(202, vault.post("/v1/vault/secrets/agent_123/SIGNED_TWICE/rotate", OWNER, "").status());
            WebhookReceiver.await("a delivery", WAIT, () -> !receiver.deliveries.isEmpty());
            WebhookReceiver.Delivery d = receiver.deliveries.get(0);
            assertTrue(WebhookReceiver.verify(fresh, d, Duration.ofMinutes(5)), "the new secret verifies");
            assertTrue(WebhookReceiver.verify(signingSecret, d, Duration.ofMinutes(5)), "the old one still does");
            assertFalse(WebhookReceiver.verify("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]), d,
                    Duration.ofMinutes(5)), "another secret does not");
            assertEquals(2, d.signature().split(" ").length);
        }
    }

    @Test
    void identityTokensCannotManageRotation() {
        String token = agentToken();
        assertEquals(403, vault.post("/v1/vault/secrets/agent_123/DATABASE_PASSWORD/rotate", token, "").status());
        assertEquals(403, vault.post("/v1/vault/rotation/signing-secret", token, "{}").status());
        assertEquals(403, vault.get("/v1/vault/secrets/agent_123/DATABASE_PASSWORD/rotation/deliveries", token)
                .status());
    }
}
