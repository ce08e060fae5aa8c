package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.RotationConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The egress policy is applied at every delivery, not only when the policy was accepted: a webhook on an
 * address that was allow-listed then, and is not any more, is never contacted; the refusal is audited and
 * the current value stays.
 */
class EgressAtDeliveryTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void aDestinationNoLongerAllowedIsNotContacted() throws Exception {
        RotationConfig rotation = new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                List.of(Duration.ofMillis(100)), Duration.ofSeconds(3), Duration.ofHours(1));
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            try (TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of("127.0.0.1")).rotation(rotation))) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "DB", "value", "keep-me-123", "type", "api_key",
                        "rotation", Map.of("interval", "1h", "webhookUrl", receiver.url()))));
                assertEquals(201, r.status(), r.body());
            }
            // the operator removes 127.0.0.1 from vault.egress.allow
            try (TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of()).rotation(rotation))) {
                assertEquals(202, vault.post("/v1/vault/secrets/agent_1/DB/rotate", OWNER, "").status());
                WebhookReceiver.await("status failed", Duration.ofSeconds(20), () -> "failed".equals(vault.get(
                        "/v1/vault/secrets/agent_1?limit=10", OWNER).json().get("items").get(0).get("rotation")
                        .get("status").asText()));
                assertEquals(0, receiver.deliveries.size(), "never contacted");
                JsonNode deliveries = vault.get("/v1/vault/secrets/agent_1/DB/rotation/deliveries", OWNER).json();
                assertEquals(2, deliveries.get("items").size());
                deliveries.get("items").forEach(d -> {
                    assertEquals(0, d.get("status").asInt());
                    assertTrue(d.get("error").asText().startsWith("egress_denied"), d.toString());
                });
                JsonNode audit = vault.get("/v1/vault/audit/logs?identityId=agent_1&action=secret.rotation.deliver",
                        OWNER).json();
                assertEquals(2, audit.get("items").size());
                audit.get("items").forEach(e -> {
                    assertEquals("FAILURE", e.get("outcome").asText());
                    assertTrue(e.get("details").get("error").asText().startsWith("egress_denied"), e.toString());
                });
                Response read = vault.get("/v1/vault/secrets/agent_1/DB", OWNER);
                assertEquals("keep-me-123", read.json().get("value").asText());
                assertEquals(1, read.json().get("version").asInt());
            }
        }
    }
}
