package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cluster.ChildVault;
import dev.animavault.core.cluster.PgSchema;
import dev.animavault.core.config.ProviderSpec;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: two vault nodes on one PostgreSQL database (a schema of this test's own). Node A, a child
 * process, takes the rotation's lease and starts the delivery; it is SIGKILLed while the receiver holds
 * the answer, so it never releases the lease. Node B takes the lease once it expires (a higher fence)
 * and finishes the rotation: one new version, the delivered value, one promotion.
 */
class LeaseTakeoverIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void killingTheLeaseHolderLetsTheOtherNodeFinish() throws Exception {
        Path rootKey = tmp.resolve("root.key");
        Path zip = RotationTest.generatingTypePlugin(tmp.resolve("built"));
        Path rootA = tmp.resolve("a");
        TestVault.pluginsDir(rootA, zip);
        CountDownLatch release = new CountDownLatch(1);
        try (PgSchema pg = PgSchema.create("i17_lease");
             WebhookReceiver receiver = new WebhookReceiver().otherwise(200);
             ChildVault a = ChildVault.start(rootA, pg, rootKey, List.of(), null)) {
            receiver.beforeAnswer = d -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            assertEquals(201, a.call("POST", "/v1/identities", OWNER, "{\"id\":\"agent_1\"}").statusCode());
            assertEquals(201, a.call("POST", "/v1/vault/secrets", OWNER, TestVault.json(Map.of(
                    "identityId", "agent_1", "key", "DB_PASSWORD", "value", "before", "rotation", Map.of(
                            "interval", "1h", "webhookUrl", receiver.url())))).statusCode());
            assertEquals(202, a.call("POST", "/v1/vault/secrets/agent_1/DB_PASSWORD/rotate", OWNER, null)
                    .statusCode());
            WebhookReceiver.await("node a's delivery", Duration.ofSeconds(30), () -> !receiver.deliveries.isEmpty());
            a.process().destroyForcibly(); // SIGKILL mid-delivery: the lease is never released
            assertTrue(a.process().waitFor(30, TimeUnit.SECONDS));
            long killed = System.nanoTime();
            long[] held = liveLease(pg); // {fence, micros left}
            assertTrue(held != null, "node a held a live lease when it was killed");

            try (TestVault b = TestVault.start(tmp.resolve("b"), builder -> builder
                    .storage(new ProviderSpec("jdbc", Map.of("url", pg.url(), "username", pg.user(),
                            "password", pg.password())))
                    .rootKeyFile(rootKey)
                    .credentialTypes(List.of("test_password", "api_key"))
                    .defaultCredentialType("test_password")
                    .egressAllow(List.of("127.0.0.1"))
                    .rotation(VaultChild.rotationConfig()), zip)) {
                receiver.beforeAnswer = d -> { };
                release.countDown();
                WebhookReceiver.await("node b to finish the rotation", Duration.ofSeconds(60), () -> {
                    JsonNode s = b.get("/v1/vault/secrets/agent_1", OWNER).json().get("items").get(0);
                    return s.get("version").asInt() == 2 && s.get("rotation").get("status").asText().equals("ok");
                });
                long afterKillMillis = (System.nanoTime() - killed) / 1_000_000;
                assertTrue(afterKillMillis * 1000 >= held[1] - 500_000,
                        "node b finished only once node a's lease had expired");
                long[] now = leaseFence(pg);
                assertTrue(now[0] > held[0], "node b was granted the lease (a higher fence)");
                System.out.println("LeaseTakeoverIT: node b finished the rotation " + (System.nanoTime() - killed)
                        / 1_000_000 + " ms after node a was killed holding a lease with " + held[1] / 1000
                        + " ms left (lease ttl 2 x webhook timeout + 10 s)");
                Thread.sleep(500);
                assertEquals(404, b.get("/v1/vault/secrets/agent_1/DB_PASSWORD?version=3", OWNER).status(),
                        "one new version");
                String value = b.get("/v1/vault/secrets/agent_1/DB_PASSWORD", OWNER).json().get("value").asText();
                WebhookReceiver.Delivery last = receiver.deliveries.get(receiver.deliveries.size() - 1);
                assertEquals(value, TestVault.JSON.readTree(last.body()).get("data").get("value").asText(),
                        "the promoted value is the one delivered");
                JsonNode promotions = b.get("/v1/vault/audit/logs?identityId=agent_1&action=secret.rotation.promote",
                        OWNER).json();
                int promoted = 0;
                for (JsonNode e : promotions.get("items")) {
                    promoted += "SUCCESS".equals(e.get("outcome").asText()) ? 1 : 0; // ATTEMPTs are recorded before
                }
                assertEquals(1, promoted, "promoted once, by node b");
            }
        }
    }

    /** The fence and remaining microseconds of the one unexpired lease, or null. */
    private static long[] liveLease(PgSchema pg) throws java.sql.SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT fence, expires_at - (extract(epoch FROM clock_timestamp())"
                     + " * 1000000)::bigint FROM leases WHERE name LIKE 'rotation/%' AND expires_at > "
                     + "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
        }
    }

    private static long[] leaseFence(PgSchema pg) throws java.sql.SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT max(fence) FROM leases WHERE name LIKE 'rotation/%'")) {
            rs.next();
            return new long[] {rs.getLong(1)};
        }
    }
}
