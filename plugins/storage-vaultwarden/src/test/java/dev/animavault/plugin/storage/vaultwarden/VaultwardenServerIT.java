package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.core.VaultNode;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.http.VaultServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product with the Vaultwarden backend: the real server (core, Helidon) in this JVM loading the
 * real plugin zips through PF4J (this module's packaged zip, audit-file and credential-api-key), configured
 * with the {@code vaultwarden} storage against the Bitwarden-compatible test server (one account owning one
 * organization, made with real Bitwarden crypto). Over HTTP: the main agent flow, a new version that stays
 * readable with {@code ?version=}, the audit log; with the official Bitwarden CLI: the item's password is
 * the current value and the previous one is in its password history, and a person's edit is what the agent
 * reads next; and a restart on the same configuration keeps everything (state lives in Vaultwarden).
 *
 * <p>Runs with failsafe after {@code package}; needs the Bitwarden CLI ({@link BitwardenCli}: a CI run
 * without it fails).
 */
class VaultwardenServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OWNER = "it-owner-token-0123456789abcdefghijklmnopqrstuv";
    private static final String V1 = "sk-proj-IT-first-7b1c9e";
    private static final String V2 = "sk-proj-IT-second-4d2a8f";
    private static final String V3 = "sk-human-IT-third-9e3b0c";
    private static final String OTHER = "other-agent-IT-value-5f6a";

    @TempDir
    Path tmp;

    @Test
    @Timeout(240)
    void agentFlowThroughTheFullServerWithVaultwardenStorage() throws Exception {
        // Located first so that a CI run without the CLI fails before doing anything else.
        Path cliHome = Files.createDirectories(tmp.resolve("bw-cli"));
        BitwardenCli bw = new BitwardenCli(cliHome, TestTls.get().pem());

        try (TestVault vw = new TestVault()) {
            VaultConfig config = VaultConfig.builder(tmp.resolve("data"), pluginsDir(tmp.resolve("plugins")))
                    .port(0)
                    .bootstrapToken(OWNER)
                    .storage(new ProviderSpec("vaultwarden", vw.config()))
                    .egressAllow(List.of("127.0.0.1"))
                    .build();

            String agentToken;
            try (Server s = Server.start(config)) {
                assertEquals("vaultwarden", s.node.storageType());
                Res health = s.get("/v1/sys/health", null);
                assertEquals(200, health.status(), health.body());

                // identities and secrets, as the owner
                assertEquals(201, s.post("/v1/identities", OWNER, "{\"id\":\"agent_123\",\"name\":\"Research agent\"}").status());
                assertEquals(201, s.post("/v1/identities", OWNER, "{\"id\":\"agent_456\"}").status());
                Res created = s.post("/v1/vault/secrets", OWNER, json(Map.of("identityId", "agent_123",
                        "key", "OPENAI_API_KEY", "value", V1, "type", "api_key", "metadata", Map.of("team", "payments"))));
                assertEquals(201, created.status(), created.body());
                assertFalse(created.body().contains(V1), "a write never echoes the value");
                assertEquals(201, s.post("/v1/vault/secrets", OWNER, json(Map.of("identityId", "agent_456",
                        "key", "OTHER_KEY", "value", OTHER, "type", "api_key"))).status());

                // the agent reads its own secret with an identity token, and is denied another identity's
                Res issued = s.post("/v1/identities/agent_123/tokens", OWNER, "{}");
                assertEquals(201, issued.status(), issued.body());
                agentToken = issued.json().get("token").asText();
                Res read = s.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", agentToken);
                assertEquals(200, read.status(), read.body());
                assertEquals(V1, read.json().get("value").asText());
                assertEquals(1, read.json().get("version").asInt());
                assertEquals("api_key", read.json().get("type").asText());
                Res denied = s.get("/v1/vault/secrets/agent_456/OTHER_KEY", agentToken);
                assertEquals(403, denied.status(), denied.body());
                assertEquals("permission_denied", denied.json().get("code").asText());
                assertFalse(denied.body().contains(OTHER));

                // a new version; the previous one stays readable
                Res put = s.put("/v1/vault/secrets/agent_123/OPENAI_API_KEY", OWNER, json(Map.of("value", V2)));
                assertEquals(200, put.status(), put.body());
                assertEquals(2, put.json().get("version").asInt());
                assertSecret(s, agentToken, "", V2, 2);
                assertSecret(s, agentToken, "?version=1", V1, 1);
                assertEquals("payments", s.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", agentToken).json()
                        .path("metadata").path("team").asText(), "metadata round-trips through the Bitwarden item");

                // the audit log has the agent's reads (v1, v2, v1) and, under the target identity, the denial
                Res logs = s.get("/v1/vault/audit/logs?identityId=agent_123&limit=100", OWNER);
                assertEquals(200, logs.status(), logs.body());
                List<Integer> readVersions = new ArrayList<>();
                for (JsonNode e : logs.json().get("items")) {
                    if (e.path("action").asText().equals("secret.read") && e.path("outcome").asText().equals("SUCCESS")
                            && e.path("secretKey").asText().equals("OPENAI_API_KEY")
                            && e.path("actor").asText().startsWith("identity:agent_123/")) {
                        readVersions.add(e.path("version").asInt());
                    }
                }
                readVersions.sort(null);
                assertEquals(List.of(1, 1, 2, 2), readVersions, "the agent's four successful reads: " + logs.body());
                Res denials = s.get("/v1/vault/audit/logs?identityId=agent_456&action=secret.read", OWNER);
                assertEquals(200, denials.status(), denials.body());
                JsonNode denial = null;
                for (JsonNode e : denials.json().get("items")) {
                    if (e.path("actor").asText().startsWith("identity:agent_123/")) {
                        denial = e;
                    }
                }
                assertNotNull(denial, "the denial is audited: " + denials.body());
                assertEquals("DENIED", denial.get("outcome").asText());
                assertEquals("permission_denied", denial.get("errorCode").asText());
                assertEquals("OTHER_KEY", denial.path("secretKey").asText());
                for (String body : List.of(logs.body(), denials.body())) {
                    for (String value : List.of(V1, V2, OTHER)) {
                        assertFalse(body.contains(value), "audit never holds values");
                    }
                }
            }

            // What Vaultwarden holds: the mapping, and no plaintext anywhere (Bitwarden end-to-end encryption)
            assertNotNull(vw.server.collectionByExternalId("default/agent_123"), "a collection per identity");
            assertNotNull(vw.server.collectionByExternalId("default/agent_456"), "a collection per identity");
            assertNotNull(vw.server.collectionByExternalId("anima-vault-system"), "core's records have their collection");
            List<String> ids = vw.server.cipherIds(vw.organizationId);
            assertTrue(ids.size() >= 5, "identities, secrets and core records are items: " + ids.size());
            for (String id : ids) {
                String stored = vw.server.cipher(id).toString();
                for (String value : List.of(V1, V2, OTHER, "OPENAI_API_KEY", "agent_123", OWNER)) {
                    assertFalse(stored.contains(value), "Vaultwarden stores only Bitwarden ciphertext");
                }
            }
            // ... and the vault's data directory holds no value and no storage of its own
            try (Stream<Path> files = Files.walk(config.dataDir())) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    for (String value : List.of(V1, V2, OTHER)) {
                        assertFalse(content.contains(value), f + " holds a value");
                    }
                    assertFalse(f.getFileName().toString().matches(".*\\.(db|sqlite.*)"), "no local store: " + f);
                }
            }

            // The official Bitwarden CLI sees a Login item: current value as its password, the previous in history
            bw.run(null, "config", "server", vw.server.url());
            bw.session(bw.run(null, "login", vw.account.email, TestVault.PASSWORD, "--raw"));
            JsonNode item = JSON.readTree(bw.run(null, "get", "item", "OPENAI_API_KEY"));
            assertEquals(1, item.path("type").asInt(), "a Login item");
            assertEquals(vw.organizationId, item.path("organizationId").asText());
            assertEquals(List.of(vw.server.collectionByExternalId("default/agent_123")),
                    JSON.convertValue(item.path("collectionIds"), List.class), "in agent_123's collection");
            assertEquals(V2, item.path("login").path("password").asText(), "current value as the password");
            assertEquals(1, item.path("passwordHistory").size());
            assertEquals(V1, item.path("passwordHistory").path(0).path("password").asText(),
                    "the previous version in the password history");

            // A person changes the password in Bitwarden (bw edit item = what the apps do)
            ObjectNode edited = item.deepCopy();
            ((ObjectNode) edited.get("login")).put("password", V3);
            bw.run(null, "edit", "item", item.path("id").asText(), Base64.getEncoder()
                    .encodeToString(edited.toString().getBytes(StandardCharsets.UTF_8)));

            // Restart on the same configuration: tokens, keyring and secrets live in Vaultwarden
            try (Server s = Server.start(config)) {
                assertSecret(s, agentToken, "", V3, 3);
                assertSecret(s, agentToken, "?version=2", V2, 2);
                assertSecret(s, agentToken, "?version=1", V1, 1);
                assertEquals(403, s.get("/v1/vault/secrets/agent_456/OTHER_KEY", agentToken).status());
                Res other = s.get("/v1/vault/secrets/agent_456/OTHER_KEY", OWNER);
                assertEquals(200, other.status(), other.body());
                assertEquals(OTHER, other.json().get("value").asText());
                Res versions = s.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", OWNER);
                assertEquals("payments", versions.json().path("metadata").path("team").asText());
                // the audit log is the file sink's, in the data directory: it survived the restart too
                Res logs = s.get("/v1/vault/audit/logs?identityId=agent_123&action=secret.read&limit=100", OWNER);
                assertTrue(logs.json().get("items").size() >= 7, logs.body());
            }
            assertEquals(List.of(), vw.server.unknownRoutes(), "routes called that the test server lacks");
        }
    }

    private static void assertSecret(Server s, String token, String query, String value, int version) {
        Res r = s.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY" + query, token);
        assertEquals(200, r.status(), r.body());
        assertEquals(version, r.json().get("version").asInt());
        assertTrue(value.equals(r.json().get("value").asText()), "value of version " + version + " (" + query + ")");
    }

    /** A plugins directory with the real zips: this module's packaged one and the copied bundled ones. */
    static Path pluginsDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path own = Path.of(property("anima.it.plugin-zip"));
        assertTrue(Files.isRegularFile(own), own + " is missing: run the integration tests after package");
        Files.copy(own, dir.resolve("storage-vaultwarden.zip"));
        List<String> names = new ArrayList<>();
        try (Stream<Path> zips = Files.list(Path.of(property("anima.it.plugins")))) {
            for (Path z : zips.filter(p -> p.toString().endsWith(".zip")).toList()) {
                String name = z.getFileName().toString().replace("anima-vault-plugin-", "");
                Files.copy(z, dir.resolve(name));
                names.add(name);
            }
        }
        names.sort(null);
        assertEquals(List.of("audit-file.zip", "credential-api-key.zip", "storage-jdbc.zip"), names);
        return dir;
    }

    private static String property(String name) {
        String v = System.getProperty(name);
        if (v == null) {
            throw new IllegalStateException("system property " + name + " is not set (run with mvn verify)");
        }
        return v;
    }

    static String json(Map<String, ?> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Res(int status, String body, JsonNode json) {
    }

    /** The real node and HTTP server on a free loopback port. */
    static final class Server implements AutoCloseable {
        private final VaultNode node;
        private final VaultServer server;
        private final HttpClient http = HttpClient.newHttpClient();

        private Server(VaultNode node, VaultServer server) {
            this.node = node;
            this.server = server;
        }

        static Server start(VaultConfig config) {
            VaultNode node = VaultNode.start(config, Map.of(), Clock.systemUTC());
            try {
                return new Server(node, VaultServer.start(node, Clock.systemUTC()));
            } catch (RuntimeException e) {
                node.close();
                throw e;
            }
        }

        Res get(String path, String token) {
            return send("GET", path, token, null);
        }

        Res post(String path, String token, String body) {
            return send("POST", path, token, body);
        }

        Res put(String path, String token, String body) {
            return send("PUT", path, token, body);
        }

        private Res send(String method, String path, String token, String body) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            try {
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return new Res(r.statusCode(), r.body(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } finally {
                node.close();
                http.close();
            }
        }
    }
}
