package dev.animavault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server on the file backend ({@link ServerChild}, a JVM of its own) killed with SIGKILL
 * while 4 clients write secrets and versions over HTTP, {@link #ROUNDS} times (the 50 in CI, where
 * {@code CI=true}; 10 elsewhere, about a minute; {@code -Danima.crash.rounds=N} overrides both): after each restart
 * every write that got its 2xx in the round before is read back with its value, every secret of the
 * store reads (no integrity error, no 5xx), and at the end every write of every round is checked again.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class FileStorageServerCrashTest {

    static final int ROUNDS = Integer.getInteger("anima.crash.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? 50 : 10);
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path root;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void acknowledgedWritesSurviveSigkillOfTheServer() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>(); // "agent/key@version" -> value
        Map<String, String> lastRound = new ConcurrentHashMap<>();
        int port = 0;
        Process server = null;
        try {
            for (int round = 0; round <= ROUNDS; round++) {
                server = startServer();
                port = portOf(server);
                // everything acknowledged so far is there, and the whole identity reads
                for (Map.Entry<String, String> e : (round == ROUNDS ? acked : lastRound).entrySet()) {
                    String[] p = e.getKey().split("[/@]");
                    Response r = send(port, "GET", "/v1/vault/secrets/" + p[0] + "/" + p[1] + "?version=" + p[2], null);
                    assertEquals(200, r.status, "round " + round + ", " + e.getKey() + ": " + r.body);
                    assertEquals(e.getValue(), TestVault.JSON.readTree(r.body).get("value").asText());
                }
                Response list = send(port, "GET", "/v1/vault/secrets/agent_crash?limit=1000", null);
                assertTrue(list.status == 200 || list.status == 404, list.body);
                if (list.status == 200) {
                    for (JsonNode item : TestVault.JSON.readTree(list.body).get("items")) {
                        Response r = send(port, "GET", "/v1/vault/secrets/agent_crash/" + item.get("key").asText(), null);
                        assertEquals(200, r.status, r.body);
                    }
                }
                if (round == ROUNDS) {
                    break;
                }
                if (round == 0) {
                    Response id = send(port, "POST", "/v1/identities", "{\"id\":\"agent_crash\"}");
                    assertEquals(201, id.status, id.body);
                }
                lastRound.clear();
                write(port, round, lastRound, server);
                acked.putAll(lastRound);
                server = null;
            }
        } finally {
            if (server != null) {
                server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        System.out.printf("server crash test: %d SIGKILLs, %d acknowledged versions all present%n", ROUNDS,
                acked.size());
        assertTrue(acked.size() > ROUNDS, "the clients wrote something");
    }

    /** 4 writers for a random 150-600 ms, then SIGKILL while they are still writing. */
    private void write(int port, int round, Map<String, String> acked, Process server) throws Exception {
        AtomicBoolean dead = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; !dead.get(); i++) {
                    String key = "K_" + round + "_" + writer + "_" + i;
                    String v1 = "v1-" + key;
                    try {
                        Response r = send(port, "POST", "/v1/vault/secrets", TestVault.json(Map.of(
                                "identityId", "agent_crash", "key", key, "value", v1, "type", "api_key")));
                        if (r.status != 201) {
                            return;
                        }
                        acked.put("agent_crash/" + key + "@1", v1);
                        Response p = send(port, "PUT", "/v1/vault/secrets/agent_crash/" + key,
                                TestVault.json(Map.of("value", "v2-" + key)));
                        if (p.status / 100 != 2) {
                            return;
                        }
                        acked.put("agent_crash/" + key + "@2", "v2-" + key);
                    } catch (IOException e) {
                        return; // the server died under the request: not acknowledged
                    }
                }
            }));
        }
        Thread.sleep(ThreadLocalRandom.current().nextInt(150, 600));
        server.destroyForcibly(); // SIGKILL
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        dead.set(true);
        for (Thread t : writers) {
            t.join(30_000);
        }
    }

    private Process startServer() throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Danima.test.plugins=" + System.getProperty("anima.test.plugins"),
                "-cp", System.getProperty("java.class.path"), ServerChild.class.getName(), root.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static int portOf(Process p) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("port ")) {
                int port = Integer.parseInt(line.substring(5).trim());
                Thread.ofPlatform().daemon().start(() -> drain(out)); // keep the pipe from filling
                return port;
            }
        }
        throw new IllegalStateException("the server child ended without a port");
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // discard the server's log
            }
        } catch (IOException e) {
            // the child died
        }
    }

    private record Response(int status, String body) {
    }

    private Response send(int port, String method, String path, String body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + OWNER)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
