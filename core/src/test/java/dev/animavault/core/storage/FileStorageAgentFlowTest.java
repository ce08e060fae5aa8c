package dev.animavault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent flow (identity, secret, token, read, audit) on the {@code file} storage backend, loaded as
 * the real storage-file plugin zip: the store lands in {@code <data>/store}, holds no plaintext, and the
 * vault reads everything back after a restart.
 */
class FileStorageAgentFlowTest {

    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String VALUE = "sk-proj-FILESTORE-0a1b2c3d4e5f";

    @TempDir
    Path tmp;

    private TestVault start() {
        return TestVault.start(tmp, b -> b.storage(new ProviderSpec("file", Map.of())));
    }

    @Test
    void agentFlowOnTheFileBackendSurvivesARestart() throws Exception {
        String token;
        try (TestVault vault = start()) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_123\",\"name\":\"Agent\"}").status());
            Response created = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123",
                    "key", "OPENAI_API_KEY", "value", VALUE, "type", "api_key")));
            assertEquals(201, created.status(), created.body());
            Response issued = vault.post("/v1/identities/agent_123/tokens", OWNER, "{}");
            assertEquals(201, issued.status(), issued.body());
            token = issued.json().get("token").asText();

            Response read = vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token);
            assertEquals(200, read.status(), read.body());
            assertEquals(VALUE, read.json().get("value").asText());
            assertEquals(1, read.json().get("version").asInt());

            // a second version
            Response v2 = vault.put("/v1/vault/secrets/agent_123/OPENAI_API_KEY", OWNER,
                    TestVault.json(Map.of("value", VALUE + "-v2")));
            assertTrue(v2.status() == 200 || v2.status() == 201, v2.body());
            assertEquals(VALUE + "-v2", vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token).json()
                    .get("value").asText());

            Response logs = vault.get("/v1/vault/audit/logs?identityId=agent_123&limit=100", OWNER);
            assertEquals(200, logs.status(), logs.body());
            boolean sawRead = false;
            for (JsonNode e : logs.json().get("items")) {
                sawRead |= e.get("action").asText().equals("secret.read")
                        && e.get("outcome").asText().equals("SUCCESS");
            }
            assertTrue(sawRead, "the read is audited: " + logs.body());
            assertFalse(logs.body().contains(VALUE));
        }
        Path store = tmp.resolve("data/store");
        assertTrue(Files.isRegularFile(store.resolve(".lock")), "the file store is in use at " + store);
        List<Path> files;
        try (Stream<Path> s = Files.walk(store)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.size() > 3, "identity, secret and records are files: " + files);
        for (Path f : files) {
            assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains("FILESTORE"),
                    "plaintext in " + f);
        }
        try (TestVault vault = start()) {
            Response read = vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token);
            assertEquals(200, read.status(), read.body());
            assertEquals(VALUE + "-v2", read.json().get("value").asText());
            Response v1 = vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY?version=1", token);
            assertEquals(VALUE, v1.json().get("value").asText(), v1.body());
        }
    }

    /**
     * The odd names through the HTTP API on the file backend: core's name rules refuse most
     * (400 invalid_name); what they allow ({@code CON}, {@code NUL}, case twins) is stored as distinct
     * secrets, and nothing is written outside the store directory.
     */
    @Test
    void oddNamesAreRefusedOrStoredSafely() throws Exception {
        try (TestVault vault = start()) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_odd\"}").status());
            String nfc = java.text.Normalizer.normalize("caf\u00e9", java.text.Normalizer.Form.NFC);
            String nfd = java.text.Normalizer.normalize("caf\u00e9", java.text.Normalizer.Form.NFD);
            for (String bad : List.of("../x", "a/b", "x\u0000y", "k".repeat(1000), nfc, nfd, "..", ".hidden")) {
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_odd",
                        "key", bad, "value", "odd-value-1", "type", "api_key")));
                assertEquals(400, r.status(), bad + ": " + r.body());
                assertEquals("invalid_name", r.code(), r.body());
                Response id = vault.post("/v1/identities", OWNER, TestVault.json(Map.of("id", bad)));
                assertEquals(400, id.status(), bad + ": " + id.body());
            }
            List<String> allowed = List.of("CON", "con", "NUL", "nul", "Key", "key", "KEY", "com1.txt", "k".repeat(256),
                    "K".repeat(256));
            for (String ok : allowed) {
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_odd",
                        "key", ok, "value", "odd-" + ok, "type", "api_key")));
                assertEquals(201, r.status(), ok + ": " + r.body());
            }
            for (String ok : allowed) {
                Response r = vault.get("/v1/vault/secrets/agent_odd/" + ok, OWNER);
                assertEquals(200, r.status(), ok + ": " + r.body());
                assertEquals("odd-" + ok, r.json().get("value").asText(), "twins stay distinct");
            }
        }
        Path data = tmp.resolve("data").toRealPath();
        Path store = data.resolve("store");
        try (Stream<Path> s = Files.walk(data)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Path real = p.toRealPath();
                assertTrue(real.startsWith(store) || real.startsWith(data.resolve("audit"))
                        || real.equals(data.resolve("root.key")), "a file outside the store: " + real);
                if (real.startsWith(store)) {
                    String name = real.getFileName().toString();
                    assertTrue(name.matches("[a-z0-9_.%A-F~-]{1,250}"), "unsafe file name " + name);
                }
            }
        }
    }
}
