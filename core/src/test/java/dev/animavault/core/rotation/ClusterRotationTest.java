package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cluster.PgSchema;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.config.VaultConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two vault nodes on one PostgreSQL database (a schema of this test's own on the shared test server):
 * every due rotation is delivered once and promoted once, whichever node's scheduler sees it first.
 */
class ClusterRotationTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int SECRETS = 60;

    @TempDir
    Path tmp;

    @Test
    void twoNodesOnOnePostgresDeliverEachDueRotationOnce() throws Exception {
        try (PgSchema pg = PgSchema.create("i11_rotation")) {
            twoNodesDeliverEachDueRotationOnce(pg);
        }
    }

    private void twoNodesDeliverEachDueRotationOnce(PgSchema pg) throws Exception {
        Map<String, String> storage = new HashMap<>();
        storage.put("url", pg.url());
        storage.put("username", pg.user());
        storage.put("password", pg.password());
        Path zip = RotationTest.generatingTypePlugin(tmp.resolve("built"));
        Path rootKey = tmp.resolve("root.key");
        UnaryOperator<VaultConfig.Builder> config = b -> b
                .storage(new ProviderSpec("jdbc", storage))
                .rootKeyFile(rootKey)
                .credentialTypes(List.of("test_password", "api_key"))
                .defaultCredentialType("test_password")
                .egressAllow(List.of("127.0.0.1"))
                .rotation(new RotationConfig(true, Duration.ofMillis(50), Duration.ofSeconds(1),
                        List.of(Duration.ofMillis(200)), Duration.ofSeconds(5), Duration.ofHours(1)));
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200);
             TestVault a = TestVault.start(tmp.resolve("a"), config, zip);
             TestVault b = TestVault.start(tmp.resolve("b"), config, zip)) {
            assertEquals(201, a.post("/v1/identities", OWNER, "{\"id\":\"fleet\"}").status());
            for (int i = 0; i < SECRETS; i++) {
                TestVault node = i % 2 == 0 ? a : b;
                Response r = node.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "fleet",
                        "key", "S" + i, "value", "initial-" + i, "rotation", Map.of("interval", "1h",
                                "webhookUrl", receiver.url()))));
                assertEquals(201, r.status(), r.body());
            }
            // all due at once, triggered through both nodes; both schedulers race for them
            for (int i = 0; i < SECRETS; i++) {
                TestVault node = i % 2 == 0 ? b : a;
                assertEquals(202, node.post("/v1/vault/secrets/fleet/S" + i + "/rotate", OWNER, "").status());
            }
            WebhookReceiver.await("every secret rotated", Duration.ofSeconds(60), () -> rotated(a) == SECRETS);
            Thread.sleep(1000); // a duplicate would arrive now
            assertEquals(SECRETS, receiver.deliveries.size(), () -> "each due rotation delivered once; failed attempts: "
                    + failedAttempts(a));
            Set<String> ids = new HashSet<>();
            Set<String> keys = new HashSet<>();
            for (WebhookReceiver.Delivery d : receiver.deliveries) {
                ids.add(d.id());
                keys.add(TestVault.JSON.readTree(d.body()).get("data").get("key").asText());
            }
            assertEquals(SECRETS, ids.size());
            assertEquals(SECRETS, keys.size());
            for (JsonNode item : a.get("/v1/vault/secrets/fleet?limit=1000", OWNER).json().get("items")) {
                assertEquals(2, item.get("version").asInt(), item.toString());
                assertEquals(404, a.get("/v1/vault/secrets/fleet/" + item.get("key").asText() + "?version=3", OWNER)
                        .status(), "exactly one new version");
            }
            int promotedByA = promotions(a);
            int promotedByB = promotions(b);
            assertEquals(SECRETS, promotedByA + promotedByB, "each promotion audited once, on the node that ran it");
            System.out.println("ClusterRotationTest: node a promoted " + promotedByA + ", node b " + promotedByB);
        }
    }

    private static int rotated(TestVault node) {
        int n = 0;
        for (JsonNode item : node.get("/v1/vault/secrets/fleet?limit=1000", OWNER).json().get("items")) {
            if (item.get("version").asInt() == 2 && item.get("rotation").get("status").asText().equals("ok")) {
                n++;
            }
        }
        return n;
    }

    private static int promotions(TestVault node) {
        Response r = node.get("/v1/vault/audit/logs?identityId=fleet&action=secret.rotation.promote&limit=1000", OWNER);
        assertTrue(r.status() == 200, r.body());
        int n = 0;
        for (var e : r.json().get("items")) {
            n += "SUCCESS".equals(e.get("outcome").asText()) ? 1 : 0; // not the ATTEMPT recorded before each
        }
        return n;
    }

    private static String failedAttempts(TestVault node) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < SECRETS; i++) {
            for (JsonNode d : node.get("/v1/vault/secrets/fleet/S" + i + "/rotation/deliveries", OWNER).json()
                    .get("items")) {
                if (d.get("status").asInt() / 100 != 2) {
                    out.append("S").append(i).append(": ").append(d).append('\n');
                }
            }
        }
        return out.toString();
    }
}
