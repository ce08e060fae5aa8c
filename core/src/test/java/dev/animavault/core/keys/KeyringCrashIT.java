package dev.animavault.core.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.plugin.CorePluginContext;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.service.Organizations;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vault process SIGKILLed halfway through re-encrypting its secrets after a keyring rotation, started
 * again on the same data: the job resumes from its persisted cursor (once the dead node's lease expires),
 * finishes, removes the old key, and every version reads back and is sealed under the new key.
 */
class KeyringCrashIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int SECRETS = 120;

    @TempDir
    Path tmp;

    @Test
    void reencryptionKilledHalfwayResumesAndFinishes() throws Exception {
        Path root = tmp.resolve("vault");
        TestVault.pluginsDir(root);
        Process first = start(root, 1, 30); // 30 versions a second: about 5 s for the whole job
        int port;
        try {
            port = port(root);
            assertEquals(201, call(port, "POST", "/v1/identities", "{\"id\":\"agent_1\"}").statusCode());
            for (int i = 0; i < SECRETS; i++) {
                HttpResponse<String> r = call(port, "POST", "/v1/vault/secrets", TestVault.json(Map.of(
                        "identityId", "agent_1", "key", key(i), "value", "value-" + i + "-v1", "type", "api_key")));
                assertEquals(201, r.statusCode(), r.body());
                if (i % 10 == 0) {
                    assertEquals(200, call(port, "PUT", "/v1/vault/secrets/agent_1/" + key(i),
                            TestVault.json(Map.of("value", "value-" + i + "-v2"))).statusCode());
                }
            }
            HttpResponse<String> rotated = call(port, "POST", "/v1/sys/keyring/rotate", "");
            assertEquals(200, rotated.statusCode(), rotated.body());
            assertEquals(2, TestVault.JSON.readTree(rotated.body()).get("activeKey").asInt());
            int p = port;
            JsonNode halfway = await(() -> status(p), s -> s.at("/reencryption/state").asText().equals("running")
                    && s.at("/reencryption/done").asLong() >= SECRETS / 3, "the job to get a third of the way");
            assertTrue(halfway.at("/reencryption/done").asLong() < SECRETS, halfway.toString());
        } finally {
            first.destroyForcibly(); // SIGKILL
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        }

        Process second = start(root, 2, 100_000);
        try {
            int port2 = port(root);
            JsonNode done = await(() -> status(port2), s -> s.at("/reencryption/state").asText().equals("done")
                    && s.get("keys").size() == 1, "the job to finish after the restart");
            assertEquals(2, done.get("activeKey").asInt(), done.toString());
            assertTrue(done.at("/reencryption/versionsMoved").asLong() >= 1, done.toString());
            for (int i = 0; i < SECRETS; i++) {
                JsonNode read = TestVault.JSON.readTree(call(port2, "GET", "/v1/vault/secrets/agent_1/" + key(i), null)
                        .body());
                assertEquals("value-" + i + (i % 10 == 0 ? "-v2" : "-v1"), read.get("value").asText(), key(i));
                if (i % 10 == 0) {
                    JsonNode v1 = TestVault.JSON.readTree(call(port2, "GET", "/v1/vault/secrets/agent_1/" + key(i)
                            + "?version=1", null).body());
                    assertEquals("value-" + i + "-v1", v1.get("value").asText(), key(i) + " v1");
                }
            }
        } finally {
            second.destroyForcibly();
            assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        }
        String log = Files.readString(root.resolve("child-2.log"));
        assertTrue(log.contains("resumed at pass 1"), "the second process resumed from the cursor:\n" + log);

        // every stored version is sealed under the new key, read from the database itself
        try (PluginRegistry registry = PluginRegistry.load(root.resolve("plugins"))) {
            var f = registry.storageBackends().get("jdbc");
            try (StorageBackend storage = f.factory().create(ProviderConfig.empty("jdbc"), new CorePluginContext(
                    Clock.systemUTC(), root.resolve("data"), new EgressPolicy(List.of()), "dep_test"))) {
                assertEquals(1, storage.listRecords(Organizations.NAMESPACE, PageRequest.first(10)).items().size());
                long versions = 0;
                for (SecretMetadata m : storage.listSecrets("default", "agent_1", PageRequest.first(1000)).items()) {
                    for (SecretVersion v : storage.listVersions(m.ref())) {
                        assertEquals(2, Barrier.keyIdOf(v.value()), m.ref().key() + " v" + v.version());
                        versions++;
                    }
                }
                assertEquals(SECRETS + SECRETS / 10, versions);
            }
        }
    }

    private static String key(int i) {
        return String.format("K%03d", i);
    }

    private static JsonNode status(int port) {
        try {
            return TestVault.JSON.readTree(call(port, "GET", "/v1/sys/keyring", null).body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode await(java.util.function.Supplier<JsonNode> read, Predicate<JsonNode> until, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode s = read.get();
        while (!until.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + ": " + s);
            }
            Thread.sleep(20);
            s = read.get();
        }
        return s;
    }

    private static Process start(Path root, int n, int rate) throws IOException {
        Files.deleteIfExists(root.resolve("port"));
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), KeyringChild.class.getName(), root.toString(),
                Integer.toString(rate)))
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("child-" + n + ".log").toFile())
                .start();
    }

    private static int port(Path root) throws Exception {
        Path file = root.resolve("port");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the child vault did not start (see " + root + "/child-*.log)");
            }
            Thread.sleep(50);
        }
        return Integer.parseInt(Files.readString(file).trim());
    }

    private static HttpResponse<String> call(int port, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + OWNER)
                .method(method, body == null || body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
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
