package dev.animavault.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.http.VaultServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real vault node and HTTP server in this JVM, loading the real bundled plugin zips (copied by the
 * build to {@code target/test-plugins}) through PF4J, on a free loopback port, in a temp directory.
 */
public final class TestVault implements AutoCloseable {
    public static final String OWNER_TOKEN = "test-owner-token-0123456789abcdefghijklmnop";
    public static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final VaultNode node;
    private final VaultServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestVault(Path root, VaultNode node, VaultServer server) {
        this.root = root;
        this.node = node;
        this.server = server;
    }

    /** A plugins directory holding copies of the bundled plugin zips plus the given extra zips. */
    public static Path pluginsDir(Path root, Path... extraZips) {
        String from = System.getProperty("anima.test.plugins");
        if (from == null) {
            throw new IllegalStateException("system property anima.test.plugins is not set (run the tests with Maven)");
        }
        Path dir = root.resolve("plugins");
        try {
            Files.createDirectories(dir);
            try (Stream<Path> zips = Files.list(Path.of(from))) {
                for (Path z : zips.filter(p -> p.toString().endsWith(".zip")).toList()) {
                    Files.copy(z, dir.resolve(z.getFileName().toString().replace("anima-vault-plugin-", "")));
                }
            }
            for (Path z : extraZips) {
                Files.copy(z, dir.resolve(z.getFileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Starts a vault bootstrapped with {@link #OWNER_TOKEN}. */
    public static TestVault start(Path root) {
        return start(root, b -> b);
    }

    /** Starts a vault with configuration adjusted by {@code customize}. */
    public static TestVault start(Path root, UnaryOperator<VaultConfig.Builder> customize, Path... extraZips) {
        return start(root, Clock.systemUTC(), customize, extraZips);
    }

    /** Starts a vault on a given clock (tests that move time: session expiry, lockouts). */
    public static TestVault start(Path root, Clock clock, UnaryOperator<VaultConfig.Builder> customize,
                                  Path... extraZips) {
        Path plugins = Files.isDirectory(root.resolve("plugins")) ? root.resolve("plugins") : pluginsDir(root, extraZips);
        VaultConfig config = customize.apply(VaultConfig.builder(root.resolve("data"), plugins)
                .port(0)
                .bootstrapToken(OWNER_TOKEN)).build();
        VaultNode node = VaultNode.start(config, Map.of(), clock);
        try {
            return new TestVault(root, node, VaultServer.start(node, clock));
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    public Path root() {
        return root;
    }

    public Path dataDir() {
        return node.config().dataDir();
    }

    public VaultNode node() {
        return node;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** A response with its parsed JSON body (or null when there is none). */
    public record Response(int status, String contentType, JsonNode json, String body) {
        public String code() {
            return json == null ? null : json.path("code").asText(null);
        }
    }

    public Response request(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
            // like curl for bodies over 1 MiB: the server can refuse one over its limit before it is sent;
            // otherwise it answers 413 and closes while the client still writes, and the client may see
            // only the broken pipe instead of the answer
            b.expectContinue(body.length() > 1024 * 1024);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String ct = r.headers().firstValue("Content-Type").orElse("");
            // text/csv and text/html bodies (reports) are not JSON
            JsonNode json = r.body().isEmpty() || ct.startsWith("text/") ? null : JSON.readTree(r.body());
            return new Response(r.statusCode(), ct, json, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response get(String path, String token) {
        return request("GET", path, token, null);
    }

    /**
     * A value as audit events record it (issue 15: token and API key ids are HMACs under the audit key):
     * an actor such as {@code identity:agent_1/<token id>} with its token id hashed, or a bare value hashed,
     * under the active audit key version, asked of {@code POST /v1/sys/audit-hash} with the owner key.
     */
    public String recorded(String value) {
        Response r = post("/v1/sys/audit-hash", OWNER_TOKEN, json(Map.of("value", value)));
        if (r.status() != 200) {
            throw new IllegalStateException("audit-hash answered " + r.status() + ": " + r.body());
        }
        return r.json().has("actor") ? r.json().get("actor").asText() : r.json().get("hmac").asText();
    }

    public Response post(String path, String token, String body) {
        return request("POST", path, token, body);
    }

    public Response put(String path, String token, String body) {
        return request("PUT", path, token, body);
    }

    public Response delete(String path, String token) {
        return request("DELETE", path, token, null);
    }

    /** JSON text of a map, for request bodies. */
    public static String json(Map<String, ?> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file under the data directory. */
    public List<Path> dataFiles() {
        try (Stream<Path> s = Files.walk(dataDir())) {
            return s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
        node.close();
    }
}
