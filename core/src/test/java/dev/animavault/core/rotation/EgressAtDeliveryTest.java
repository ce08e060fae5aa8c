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
                createRotatingSecret(vault, Map.of("interval", "1h", "webhookUrl", receiver.url()));
            }
            // the operator removes 127.0.0.1 from vault.egress.allow
            try (TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of()).rotation(rotation))) {
                rotateAndExpectEgressDenied(vault, receiver, "");
                Response read = vault.get("/v1/vault/secrets/agent_1/DB", OWNER);
                assertEquals("keep-me-123", read.json().get("value").asText());
                assertEquals(1, read.json().get("version").asInt());
            }
        }
    }

    /**
     * The name resolves to an allow-listed loopback address when the policy is set and to a private one at
     * delivery (DNS rebinding, through a real resolution step: {@link TestDnsResolver}): the delivery is
     * refused before any connection, the refusal names the address and is audited, the value stays.
     */
    @Test
    void aDnsAnswerTurningPrivateAtDeliveryIsRefusedBeforeConnecting() throws Exception {
        String host = "rebind.anima.test";
        TestDnsResolver.answer(host, "127.0.0.1");
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200);
             TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of("127.0.0.1")).rotation(ROTATION))) {
            createRotatingSecret(vault, Map.of("interval", "1h", "mode", "notify", "webhookUrl", url(receiver, host)));

            TestDnsResolver.answer(host, "10.20.30.40");
            assertEquals("10.20.30.40", java.net.InetAddress.getByName(host).getHostAddress(), "no cached answer");
            rotateAndExpectEgressDenied(vault, receiver, "10.20.30.40");
            assertEquals("keep-me-123", vault.get("/v1/vault/secrets/agent_1/DB", OWNER).json().get("value").asText());
        }
    }

    /**
     * Each attempt resolves the name once and connects to the address it checked: a second resolution
     * (as the JDK's HTTP client would make) could be answered differently and was the rebinding window.
     */
    @Test
    void aDeliveryResolvesItsHostOnceAndConnectsToTheCheckedAddress() throws Exception {
        String host = "pinned.anima.test";
        TestDnsResolver.answer(host, "127.0.0.1");
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200);
             TestVault vault = TestVault.start(tmp, b -> b.egressAllow(List.of("127.0.0.1")).rotation(ROTATION))) {
            createRotatingSecret(vault, Map.of("interval", "1h", "mode", "notify", "webhookUrl", url(receiver, host)));
            int before = TestDnsResolver.lookups(host);
            assertEquals(202, vault.post("/v1/vault/secrets/agent_1/DB/rotate", OWNER, "").status());
            WebhookReceiver.await("the delivery", Duration.ofSeconds(20), () -> receiver.deliveries.size() == 1);
            Thread.sleep(300);
            assertEquals(1, receiver.deliveries.size());
            assertEquals(1, TestDnsResolver.lookups(host) - before, "one resolution for one delivery attempt");
        }
    }

    private static final RotationConfig ROTATION = new RotationConfig(true, Duration.ofMillis(100),
            Duration.ofSeconds(1), List.of(Duration.ofMillis(100)), Duration.ofSeconds(3), Duration.ofHours(1));

    /** The due deliveries of a delivery listing (events of the rotation are listed too). */
    static List<JsonNode> due(JsonNode listing) {
        List<JsonNode> out = new java.util.ArrayList<>();
        listing.get("items").forEach(d -> {
            if (d.get("event").asText().equals("secret.rotation.due")) {
                out.add(d);
            }
        });
        return out;
    }

    /** Creates identity agent_1 and its api_key secret DB (value keep-me-123) with the given rotation policy. */
    private static void createRotatingSecret(TestVault vault, Map<String, String> rotation) {
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
        Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "DB", "value", "keep-me-123", "type", "api_key", "rotation", rotation)));
        assertEquals(201, r.status(), r.body());
    }

    /**
     * Rotates agent_1/DB and waits for the rotation to fail: the receiver is never contacted, both due deliveries
     * are refused by the egress policy before any connection ({@code egress_denied}, naming {@code address}), and
     * both are audited as failures naming it.
     */
    private static void rotateAndExpectEgressDenied(TestVault vault, WebhookReceiver receiver, String address)
            throws Exception {
        assertEquals(202, vault.post("/v1/vault/secrets/agent_1/DB/rotate", OWNER, "").status());
        WebhookReceiver.await("status failed", Duration.ofSeconds(20), () -> "failed".equals(vault.get(
                "/v1/vault/secrets/agent_1?limit=10", OWNER).json().get("items").get(0).get("rotation")
                .get("status").asText()));
        assertEquals(0, receiver.deliveries.size(), "never contacted");
        List<JsonNode> deliveries = due(vault.get("/v1/vault/secrets/agent_1/DB/rotation/deliveries", OWNER)
                .json());
        assertEquals(2, deliveries.size());
        deliveries.forEach(d -> {
            assertEquals(0, d.get("status").asInt());
            assertTrue(d.get("error").asText().startsWith("egress_denied"), d.toString());
            assertTrue(d.get("error").asText().contains(address), d.toString());
        });
        JsonNode audit = vault.get("/v1/vault/audit/logs?identityId=agent_1&action=secret.rotation.deliver",
                OWNER).json();
        assertEquals(2, audit.get("items").size());
        audit.get("items").forEach(e -> {
            assertEquals("FAILURE", e.get("outcome").asText());
            assertTrue(e.get("details").get("error").asText().startsWith("egress_denied"), e.toString());
            assertTrue(e.get("details").get("error").asText().contains(address), e.toString());
        });
    }

    private static String url(WebhookReceiver receiver, String host) {
        return receiver.url().replace("127.0.0.1", host);
    }
}
