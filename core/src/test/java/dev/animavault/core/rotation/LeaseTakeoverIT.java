package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
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

    private static String setting(String name) {
        String v = System.getenv(name);
        return v != null ? v : System.getProperty(name);
    }

    @Test
    void killingTheLeaseHolderLetsTheOtherNodeFinish() throws Exception {
        String base = setting("ANIMA_TEST_PG_URL");
        Assumptions.assumeTrue(base != null, "ANIMA_TEST_PG_URL is not set (eval \"$(scripts/postgres.sh env)\")");
        String user = setting("ANIMA_TEST_PG_USER");
        String password = setting("ANIMA_TEST_PG_PASSWORD");
        String schema = "i17_lease_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = connect(base, user, password); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        Path rootKey = tmp.resolve("root.key");
        Path zip = RotationTest.generatingTypePlugin(tmp.resolve("built"));
        Path rootA = tmp.resolve("a");
        TestVault.pluginsDir(rootA, zip);
        CountDownLatch release = new CountDownLatch(1);
        Process a = null;
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            receiver.beforeAnswer = d -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            String java = ProcessHandle.current().info().command().orElse("java");
            a = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), VaultChild.class.getName(), rootA.toString(), url, user,
                    password, rootKey.toString()))
                    .redirectErrorStream(true).redirectOutput(rootA.resolve("child.log").toFile()).start();
            Path portFile = rootA.resolve("port");
            WebhookReceiver.await("node a to start (see " + rootA + "/child.log)", Duration.ofSeconds(60),
                    () -> Files.exists(portFile));
            int portA = Integer.parseInt(Files.readString(portFile).trim());
            assertEquals(201, call(portA, "POST", "/v1/identities", "{\"id\":\"agent_1\"}")
                    .statusCode());
            assertEquals(201, call(portA, "POST", "/v1/vault/secrets", TestVault.json(Map.of(
                    "identityId", "agent_1", "key", "DB_PASSWORD", "value", "before", "rotation", Map.of(
                            "interval", "1h", "webhookUrl", receiver.url())))).statusCode());
            assertEquals(202, call(portA, "POST", "/v1/vault/secrets/agent_1/DB_PASSWORD/rotate",
                    "").statusCode());
            WebhookReceiver.await("node a's delivery", Duration.ofSeconds(30), () -> !receiver.deliveries.isEmpty());
            a.destroyForcibly(); // SIGKILL mid-delivery: the lease is never released
            assertTrue(a.waitFor(30, TimeUnit.SECONDS));
            long killed = System.nanoTime();
            long[] held = liveLease(url, user, password); // {fence, micros left}
            assertTrue(held != null, "node a held a live lease when it was killed");

            try (TestVault b = TestVault.start(tmp.resolve("b"), builder -> builder
                    .storage(new ProviderSpec("jdbc", Map.of("url", url, "username", user, "password", password)))
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
                long[] now = leaseFence(url, user, password);
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
        } finally {
            if (a != null) {
                a.destroyForcibly();
                a.waitFor(30, TimeUnit.SECONDS);
            }
            try (Connection c = connect(base, user, password); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static java.net.http.HttpResponse<String> call(int port, String method, String path, String body)
            throws IOException, InterruptedException {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + OWNER)
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The fence and remaining microseconds of the one unexpired lease, or null. */
    private static long[] liveLease(String url, String user, String password) throws java.sql.SQLException {
        try (Connection c = connect(url, user, password); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT fence, expires_at - (extract(epoch FROM clock_timestamp())"
                     + " * 1000000)::bigint FROM leases WHERE name LIKE 'rotation/%' AND expires_at > "
                     + "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
        }
    }

    private static long[] leaseFence(String url, String user, String password) throws java.sql.SQLException {
        try (Connection c = connect(url, user, password); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT max(fence) FROM leases WHERE name LIKE 'rotation/%'")) {
            rs.next();
            return new long[] {rs.getLong(1)};
        }
    }

    private static Connection connect(String url, String user, String password) throws java.sql.SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return new org.postgresql.Driver().connect(url, p);
    }
}
