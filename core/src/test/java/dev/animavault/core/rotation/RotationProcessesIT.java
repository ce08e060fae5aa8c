package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cluster.ChildVault;
import dev.animavault.core.cluster.PgSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, "two vault processes on one database: every due rotation is delivered once", with two real
 * vault processes ({@link VaultChild}, two JVMs) on one PostgreSQL schema of this test's own and a real
 * webhook receiver on loopback. 60 secrets fall due by themselves (no manual trigger) at one instant
 * while both schedulers poll: each secret gets exactly one new version and one rotation (one
 * {@code webhook-id}; a retry would repeat it with the same value), its promoted value is the delivered
 * one, and each promotion is audited by exactly one process.
 *
 * <p>Timing: {@code interval 1h, leadTime 50m} and an explicit first {@code expiresAt} 50 minutes after
 * the common due instant, so every secret is due once during the test and its next rotation (promotion
 * + 1h - 50m) is 10 minutes away: a second rotation inside the test would be a bug, not a race with the
 * clock. Secrets created after the due instant (a slow machine) are due at once, which changes nothing.
 */
class RotationProcessesIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int SECRETS = 60;

    @TempDir
    Path tmp;

    @Test
    void twoProcessesDeliverEachDueRotationOnce() throws Exception {
        Path zip = RotationTest.generatingTypePlugin(tmp.resolve("built"));
        Path rootKey = tmp.resolve("root.key");
        try (PgSchema pg = PgSchema.create("i11_rotprocs");
             WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            TestVault.pluginsDir(tmp.resolve("a"), zip);
            TestVault.pluginsDir(tmp.resolve("b"), zip);
            // a first (it creates the tables and the keyring), then b
            try (ChildVault a = ChildVault.start(tmp.resolve("a"), pg, rootKey, List.of(), null);
                 ChildVault b = ChildVault.start(tmp.resolve("b"), pg, rootKey, List.of(), null)) {
                assertEquals(201, a.call("POST", "/v1/identities", OWNER, "{\"id\":\"fleet\"}").statusCode());
                Instant due = Instant.now().plusSeconds(15).truncatedTo(ChronoUnit.SECONDS);
                String expiresAt = due.plus(Duration.ofMinutes(50)).toString();
                for (int i = 0; i < SECRETS; i++) {
                    ChildVault node = i % 2 == 0 ? a : b;
                    HttpResponse<String> r = node.call("POST", "/v1/vault/secrets", OWNER, TestVault.json(Map.of(
                            "identityId", "fleet", "key", "S" + i, "value", "initial-" + i, "expiresAt", expiresAt,
                            "rotation", Map.of("interval", "1h", "leadTime", "50m",
                                    "webhookUrl", receiver.url()))));
                    assertEquals(201, r.statusCode(), r.body());
                }
                int early = receiver.deliveries.size();
                boolean createdBeforeDue = Instant.now().isBefore(due);
                if (createdBeforeDue) {
                    assertEquals(0, early, "nothing is delivered before it is due");
                }

                WebhookReceiver.await("every secret rotated by itself", Duration.ofSeconds(120),
                        () -> rotated(a) == SECRETS);
                // the succeeded events are written with the promotion and sent after it: once all are in,
                // every process has finished its part
                WebhookReceiver.await("a succeeded event per secret", Duration.ofSeconds(60),
                        () -> distinctIds(receiver.events("secret.rotation.succeeded")) == SECRETS);
                Instant checked = Instant.now();

                // per secret: one rotation (one webhook-id), every delivery of it with the same value
                Map<String, Set<String>> idsByKey = new TreeMap<>();
                Map<String, Set<String>> valuesByKey = new TreeMap<>();
                for (WebhookReceiver.Delivery d : receiver.deliveries) {
                    JsonNode data = TestVault.JSON.readTree(d.body()).get("data");
                    String key = data.get("key").asText();
                    idsByKey.computeIfAbsent(key, k -> new HashSet<>()).add(d.id());
                    valuesByKey.computeIfAbsent(key, k -> new HashSet<>()).add(data.get("value").asText());
                }
                assertEquals(SECRETS, idsByKey.size(), "a delivery for every secret: " + idsByKey.keySet());
                for (int i = 0; i < SECRETS; i++) {
                    String key = "S" + i;
                    assertEquals(1, idsByKey.get(key).size(), key + ": delivered as one rotation " + idsByKey.get(key));
                    assertEquals(1, valuesByKey.get(key).size(), key + ": no delivery with a different value");
                }

                // per secret: one new version, the delivered value, the next rotation far away; read through b
                for (JsonNode item : json(b.call("GET", "/v1/vault/secrets/fleet?limit=1000", OWNER, null))
                        .get("items")) {
                    String key = item.get("key").asText();
                    assertEquals(2, item.get("version").asInt(), item.toString());
                    JsonNode rotation = item.get("rotation");
                    assertEquals("ok", rotation.get("status").asText(), item.toString());
                    assertTrue(Instant.parse(rotation.get("nextRotationAt").asText()).isAfter(
                            checked.plus(Duration.ofMinutes(5))), key + ": the next rotation is a period away");
                    assertEquals(404, b.call("GET", "/v1/vault/secrets/fleet/" + key + "?version=3", OWNER, null)
                            .statusCode(), key + ": exactly one new version");
                    String value = json(b.call("GET", "/v1/vault/secrets/fleet/" + key, OWNER, null)).get("value")
                            .asText();
                    assertEquals(valuesByKey.get(key), Set.of(value), key + ": the promoted value is the delivered one");
                }

                int promotedByA = promotions(a);
                int promotedByB = promotions(b);
                assertEquals(SECRETS, promotedByA + promotedByB, "each promotion audited once, by the process that "
                        + "ran it (a " + promotedByA + ", b " + promotedByB + ")");
                int deliveries = receiver.deliveries.size();
                System.out.println("RotationProcessesIT: " + SECRETS + " secrets due at one instant ("
                        + (createdBeforeDue ? "all created before it" : "some created after it, due at once")
                        + "), each rotated once: " + deliveries + " due deliveries (" + (deliveries - SECRETS)
                        + " retries with the same webhook-id), process a promoted " + promotedByA + ", process b "
                        + promotedByB);
            }
        }
    }

    private static JsonNode json(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        try {
            return TestVault.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int distinctIds(List<WebhookReceiver.Delivery> deliveries) {
        Set<String> ids = new HashSet<>();
        for (WebhookReceiver.Delivery d : deliveries) {
            ids.add(d.id());
        }
        return ids.size();
    }

    private static int rotated(ChildVault node) {
        int n = 0;
        for (JsonNode item : json(node.call("GET", "/v1/vault/secrets/fleet?limit=1000", OWNER, null)).get("items")) {
            if (item.get("version").asInt() >= 2 && item.get("rotation").get("status").asText().equals("ok")) {
                n++;
            }
        }
        return n;
    }

    private static int promotions(ChildVault node) {
        int n = 0;
        for (JsonNode e : json(node.call("GET",
                "/v1/vault/audit/logs?identityId=fleet&action=secret.rotation.promote&limit=1000", OWNER, null))
                .get("items")) {
            n += "SUCCESS".equals(e.get("outcome").asText()) ? 1 : 0; // not the ATTEMPT recorded before each
        }
        return n;
    }
}
