package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A vault process SIGKILLed in the middle of a rotation and started again on the same data: the rotation
 * completes once, with no duplicate or lost version, and every delivery (the one cut off and the ones
 * after the restart) carries the same webhook-id and the same value.
 */
class RotationCrashIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    /** Killed while the receiver holds the first delivery's answer: the vault never learns the outcome. */
    @Test
    void killedDuringTheDeliveryResumesWithTheSameIdAndValue() throws Exception {
        run("during", true);
    }

    /**
     * The process halts itself ({@code Runtime.halt(137)}, as abrupt as SIGKILL for what is durable) at one
     * named step of the rotation ({@link HaltPoints}), then a second process on the same data finishes it.
     * The number is how many {@code secret.rotation.due} deliveries the receiver sees in all.
     */
    @ParameterizedTest(name = "halted at {0}")
    @CsvSource({
        HaltPoints.START_COMMITTED + ",1",
        HaltPoints.DELIVER_BEFORE + ",1",
        HaltPoints.DELIVER_ANSWERED + ",2",
        HaltPoints.DELIVER_AUDITED + ",2",
        HaltPoints.PROMOTE_ATTEMPT + ",2",
        HaltPoints.PROMOTE_COMMITTED + ",1",
        HaltPoints.PROMOTE_AUDITED + ",1",
        HaltPoints.EVENT_DELIVERED + ",1",
    })
    void haltedAtEveryStepConverges(String point, int dueDeliveries) throws Exception {
        Path root = tmp.resolve(point);
        TestVault.pluginsDir(root, RotationTest.generatingTypePlugin(tmp.resolve("built-" + point)));
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            Process first = start(root, 1, point);
            try {
                createAndRotate(port(root), receiver);
                assertTrue(first.waitFor(90, TimeUnit.SECONDS), "the vault did not halt at " + point);
                assertEquals(137, first.exitValue(), "halted at " + point + " (see " + root + "/child-1.log)");
            } finally {
                first.destroyForcibly();
            }
            verifyConverged(root, receiver, dueDeliveries);
        }
    }

    private static void createAndRotate(int port, WebhookReceiver receiver) throws Exception {
        assertEquals(201, call(port, "POST", "/v1/identities", "{\"id\":\"agent_1\"}").statusCode());
        assertEquals(201, call(port, "POST", "/v1/vault/secrets", TestVault.json(Map.of("identityId", "agent_1",
                "key", "DB_PASSWORD", "value", "before-crash-1", "rotation", Map.of("interval", "1h",
                        "webhookUrl", receiver.url())))).statusCode());
        assertEquals(202, call(port, "POST", "/v1/vault/secrets/agent_1/DB_PASSWORD/rotate", "").statusCode());
    }

    private void run(String name, boolean holdAnswer) throws Exception {
        Path root = tmp.resolve(name);
        TestVault.pluginsDir(root, RotationTest.generatingTypePlugin(tmp.resolve("built-" + name)));
        CountDownLatch release = new CountDownLatch(1);
        try (WebhookReceiver receiver = new WebhookReceiver().otherwise(200)) {
            if (holdAnswer) {
                receiver.beforeAnswer = d -> {
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
            }
            Process first = start(root, 1, null);
            createAndRotate(port(root), receiver);
            WebhookReceiver.await("the first delivery", Duration.ofSeconds(30), () -> !receiver.deliveries.isEmpty());
            first.destroyForcibly(); // SIGKILL
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            receiver.beforeAnswer = d -> { };
            release.countDown();

            verifyConverged(root, receiver, holdAnswer ? 2 : -1);
        }
    }

    /**
     * Starts a second process on the data and checks the rotation completes once: version 2 current, no
     * version 3, {@code dueDeliveries} deliveries (any number when negative) with one webhook-id and one
     * value, which is what agents read; at most one promotion, every promotion answering its ATTEMPT.
     */
    private static void verifyConverged(Path root, WebhookReceiver receiver, int dueDeliveries) throws Exception {
        Process second = start(root, 2, null);
        try {
            int port2 = port(root);
            WebhookReceiver.await("the rotation to complete after the restart", Duration.ofSeconds(60), () -> {
                JsonNode s = secret(port2);
                return s.get("version").asInt() == 2 && s.get("rotation").get("status").asText().equals("ok");
            });
            Thread.sleep(1000); // time for a wrongful extra delivery to show
            Set<String> ids = new HashSet<>();
            Set<String> values = new HashSet<>();
            List<WebhookReceiver.Delivery> due = receiver.deliveries.stream()
                    .filter(d -> "secret.rotation.due".equals(type(d))).toList();
            assertTrue(!due.isEmpty(), "at least one delivery");
            for (WebhookReceiver.Delivery d : due) {
                ids.add(d.id());
                values.add(TestVault.JSON.readTree(d.body()).get("data").get("value").asText());
            }
            assertEquals(1, ids.size(), "one webhook-id across the crash");
            assertEquals(1, values.size(), "no second delivery with a different value");
            if (dueDeliveries >= 0) {
                assertEquals(dueDeliveries, due.size(), "secret.rotation.due deliveries");
            }
            // the succeeded event: at least once (twice when cut off after its delivery), always one webhook-id
            WebhookReceiver.await("the succeeded event", Duration.ofSeconds(30),
                    () -> !receiver.events("secret.rotation.succeeded").isEmpty());
            Set<String> eventIds = new HashSet<>();
            for (WebhookReceiver.Delivery d : receiver.events("secret.rotation.succeeded")) {
                eventIds.add(d.id());
                assertEquals(2, TestVault.JSON.readTree(d.body()).get("data").get("version").asInt());
            }
            assertEquals(Set.of(ids.iterator().next() + ".succeeded"), eventIds);
            assertTrue(receiver.events("secret.rotation.succeeded").size() <= 2);
            HttpResponse<String> read = call(port2, "GET", "/v1/vault/secrets/agent_1/DB_PASSWORD", null);
            assertEquals(values.iterator().next(), TestVault.JSON.readTree(read.body()).get("value").asText());
            assertEquals(404, call(port2, "GET", "/v1/vault/secrets/agent_1/DB_PASSWORD?version=3", null)
                    .statusCode(), "no duplicate version");
            JsonNode promotions = TestVault.JSON.readTree(call(port2, "GET",
                    "/v1/vault/audit/logs?identityId=agent_1&action=secret.rotation.promote", null).body());
            // The promote ATTEMPT is committed before the change (fail-closed); its outcome record after it.
            // A SIGKILL between the storage commit and the outcome record leaves the ATTEMPT as the only
            // evidence of the promotion (the restarted vault sees the rotation done and does not redo it).
            int promoted = 0;
            Set<String> attempts = new HashSet<>();
            Set<String> answered = new HashSet<>();
            for (JsonNode e : promotions.get("items")) {
                if ("SUCCESS".equals(e.get("outcome").asText())) {
                    promoted++;
                    answered.add(e.get("details").get("attempt").asText());
                } else if ("ATTEMPT".equals(e.get("outcome").asText())) {
                    attempts.add(e.get("id").asText());
                }
            }
            assertTrue(attempts.containsAll(answered), "every promotion answers a recorded attempt");
            assertTrue(promoted <= 1, "promoted at most once: " + promoted);
            if (promoted == 0) {
                attempts.removeAll(answered);
                assertEquals(1, attempts.size(), "the promotion cut off by the kill left its attempt record");
            }
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static JsonNode secret(int port) {
        try {
            return TestVault.JSON.readTree(call(port, "GET", "/v1/vault/secrets/agent_1", null).body())
                    .get("items").get(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String type(WebhookReceiver.Delivery d) {
        try {
            return TestVault.JSON.readTree(d.body()).get("type").asText();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Process start(Path root, int n, String haltAt) throws IOException {
        Files.deleteIfExists(root.resolve("port"));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        if (haltAt != null) {
            cmd.add("-D" + HaltPoints.PROPERTY + "=" + haltAt);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), VaultChild.class.getName(), root.toString()));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("child-" + n + ".log").toFile())
                .start();
    }

    private static int port(Path root) throws Exception {
        Path file = root.resolve("port");
        WebhookReceiver.await("the child vault to start (see " + root + "/child-*.log)", Duration.ofSeconds(60),
                () -> Files.exists(file));
        return Integer.parseInt(Files.readString(file).trim());
    }

    private static HttpResponse<String> call(int port, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + OWNER)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
