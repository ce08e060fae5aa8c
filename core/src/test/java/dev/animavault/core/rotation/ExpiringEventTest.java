package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.RotationConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code secret.expiring}: a secret with a plain {@code expiresAt} (no rotation policy) is announced once,
 * {@code vault.rotation.expiring-lead-time} ahead, to {@code vault.rotation.expiring-webhook-url}, signed,
 * with a webhook-id derived from the secret and its expiry; a new expiry is a new event; a failed delivery
 * is retried with the same webhook-id; secrets with a rotation policy get rotation events instead.
 */
class ExpiringEventTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void aPlainExpiryIsAnnouncedOnceAheadWithAStableWebhookId() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            receiver.eventStatus = 500; // first attempt refused: retried with the same id
            RotationConfig rotation = new RotationConfig(true, Duration.ofMillis(100), Duration.ofSeconds(1),
                    List.of(Duration.ofMillis(200)), Duration.ofSeconds(3), Duration.ofHours(1))
                    .withExpiring(URI.create(receiver.url()), Duration.ofHours(1));
            try (TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of("127.0.0.1")).rotation(rotation))) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
                String secret = vault.post("/v1/vault/rotation/signing-secret", OWNER, "{}").json().get("secret")
                        .asText();
                String soon = Instant.now().plus(30, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS).toString();
                String later = Instant.now().plus(90, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "SOON", "value", "value-soon-1", "type", "api_key", "expiresAt", soon)));
                assertEquals(201, r.status(), r.body());
                assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId",
                        "agent_1", "key", "LATER", "value", "value-later-1", "type", "api_key", "expiresAt", later)))
                        .status());

                WebhookReceiver.await("two attempts", Duration.ofSeconds(20), () -> receiver.events.size() == 2);
                Thread.sleep(500);
                assertEquals(2, receiver.events.size(), "1 + the 1 retry configured; LATER not yet due");
                WebhookReceiver.Delivery d = receiver.events.get(0);
                assertEquals(d.id(), receiver.events.get(1).id(), "a retry keeps the webhook-id");
                assertEquals(d.bodyText(), receiver.events.get(1).bodyText());
                assertTrue(WebhookReceiver.verify(secret, d, Duration.ofMinutes(5)));
                JsonNode body = TestVault.JSON.readTree(d.body());
                assertEquals("secret.expiring", body.get("type").asText());
                assertEquals("SOON", body.get("data").get("key").asText());
                assertEquals(soon, body.get("data").get("expiresAt").asText());
                assertFalse(d.bodyText().contains("value-soon-1"), "no value");
                JsonNode audit = vault.get("/v1/vault/audit/logs?identityId=agent_1&action=secret.event.deliver",
                        OWNER).json();
                assertEquals(2, audit.get("items").size());

                // a new expiry (PUT) close enough is a new event with a new id, delivered once
                receiver.eventStatus = 200;
                String soon2 = Instant.now().plus(40, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS).toString();
                Response put = vault.put("/v1/vault/secrets/agent_1/SOON", OWNER, TestVault.json(Map.of(
                        "value", "value-soon-2", "expiresAt", soon2)));
                assertEquals(200, put.status(), put.body());
                WebhookReceiver.await("the second expiry's event", Duration.ofSeconds(20),
                        () -> receiver.events.size() == 3);
                Thread.sleep(500);
                assertEquals(3, receiver.events.size());
                assertNotEquals(d.id(), receiver.events.get(2).id());
                assertEquals(soon2, TestVault.JSON.readTree(receiver.events.get(2).body()).get("data")
                        .get("expiresAt").asText());
            }
        }
    }
}
