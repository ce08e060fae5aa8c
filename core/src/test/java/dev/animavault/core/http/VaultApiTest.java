package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API v1 end to end, in process, on SQLite through the real plugin zips. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultApiTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String OPENAI = "sk-proj-TESTVALUE-9f8e7d6c5b4a";

    @TempDir
    static Path tmp;
    TestVault vault;

    @BeforeAll
    void start() {
        vault = TestVault.start(tmp);
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_123\",\"name\":\"Research agent\"}").status());
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_456\"}").status());
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123",
                "key", "OPENAI_API_KEY", "value", OPENAI, "type", "api_key"))).status());
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_456",
                "key", "OTHER_KEY", "value", "other-agent-value-123", "type", "api_key"))).status());
    }

    @AfterAll
    void stop() {
        vault.close();
    }

    private String identityToken(String identity, String body) {
        Response r = vault.post("/v1/identities/" + identity + "/tokens", OWNER, body);
        assertEquals(201, r.status(), r.body());
        return r.json().get("token").asText();
    }

    @Test
    void healthIsOk() {
        Response r = vault.get("/v1/sys/health", null);
        assertEquals(200, r.status());
        assertEquals("ok", r.json().get("status").asText());
    }

    @Test
    void agentReadsItsOwnSecretAndIsDeniedAnother() {
        String token = identityToken("agent_123", "{}");
        assertTrue(token.startsWith("avt_"));
        Response read = vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token);
        assertEquals(200, read.status(), read.body());
        assertEquals(OPENAI, read.json().get("value").asText());
        assertEquals("api_key", read.json().get("type").asText());
        assertEquals(1, read.json().get("version").asInt());
        assertEquals("agent_123", read.json().get("identityId").asText());
        assertNotNull(read.json().get("createdAt").asText());

        Response denied = vault.get("/v1/vault/secrets/agent_456/OTHER_KEY", token);
        assertEquals(403, denied.status());
        assertEquals("permission_denied", denied.code());
        assertTrue(denied.contentType().startsWith("application/problem+json"));
        assertFalse(denied.body().contains("other-agent-value"));

        // an identity token cannot manage anything
        assertEquals(403, vault.post("/v1/vault/secrets", token, TestVault.json(Map.of("identityId", "agent_123",
                "key", "X", "value", "v-123456", "type", "api_key"))).status());
        assertEquals(403, vault.get("/v1/vault/audit/logs", token).status());
        assertEquals(403, vault.post("/v1/identities/agent_123/tokens", token, "{}").status());

        Response logs = vault.get("/v1/vault/audit/logs?identityId=agent_123&limit=100", OWNER);
        assertEquals(200, logs.status(), logs.body());
        boolean sawRead = false;
        for (JsonNode e : logs.json().get("items")) {
            if (e.get("action").asText().equals("secret.read") && e.get("outcome").asText().equals("SUCCESS")
                    && "OPENAI_API_KEY".equals(e.path("secretKey").asText())
                    && e.get("actor").asText().startsWith("identity:agent_123/")) {
                sawRead = true;
                assertEquals(1, e.get("version").asInt());
                assertNotNull(e.get("requestId").asText());
                assertEquals("default", e.get("organizationId").asText());
            }
        }
        assertTrue(sawRead, "audit log has the read: " + logs.body());
        Response denials = vault.get("/v1/vault/audit/logs?identityId=agent_456&action=secret.read", OWNER);
        assertTrue(denials.json().get("items").size() >= 1);
        JsonNode denial = denials.json().get("items").get(0);
        assertEquals("DENIED", denial.get("outcome").asText());
        assertEquals("permission_denied", denial.get("errorCode").asText());
        assertTrue(denial.get("actor").asText().startsWith("identity:agent_123/"));
        assertFalse(logs.body().contains(OPENAI), "audit never holds values");
    }

    @Test
    void versionsAreKeptAndReadable() {
        assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123",
                "key", "DB_PASSWORD", "value", "first-value-1", "type", "api_key",
                "metadata", Map.of("env", "prod")))).status());
        Response put = vault.put("/v1/vault/secrets/agent_123/DB_PASSWORD", OWNER, "{\"value\":\"second-value-2\"}");
        assertEquals(200, put.status(), put.body());
        assertEquals(2, put.json().get("version").asInt());
        assertFalse(put.body().contains("second-value-2"));
        Response current = vault.get("/v1/vault/secrets/agent_123/DB_PASSWORD", OWNER);
        assertEquals("second-value-2", current.json().get("value").asText());
        assertEquals(2, current.json().get("version").asInt());
        assertEquals("prod", current.json().get("metadata").get("env").asText());
        Response old = vault.get("/v1/vault/secrets/agent_123/DB_PASSWORD?version=1", OWNER);
        assertEquals("first-value-1", old.json().get("value").asText());
        assertEquals(1, old.json().get("version").asInt());
        assertEquals("secret_not_found", vault.get("/v1/vault/secrets/agent_123/DB_PASSWORD?version=3", OWNER).code());
        assertEquals("invalid_argument", vault.get("/v1/vault/secrets/agent_123/DB_PASSWORD?version=x", OWNER).code());
        assertEquals("type_mismatch", vault.put("/v1/vault/secrets/agent_123/DB_PASSWORD", OWNER,
                "{\"value\":\"v-3333333\",\"type\":\"password\"}").code());
    }

    @Test
    void listsAreMetadataOnlyAndPaginated() {
        for (int i = 0; i < 7; i++) {
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_456",
                    "key", "LIST_" + i, "value", "list-value-" + i, "type", "api_key"))).status());
        }
        Set<String> keys = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            Response page = vault.get("/v1/vault/secrets/agent_456?limit=3" + (cursor == null ? "" : "&cursor=" + cursor),
                    OWNER);
            assertEquals(200, page.status(), page.body());
            assertFalse(page.body().contains("list-value-"), "lists never carry values");
            page.json().get("items").forEach(i -> assertTrue(keys.add(i.get("key").asText())));
            cursor = page.json().get("nextCursor").isNull() ? null : page.json().get("nextCursor").asText();
            pages++;
        } while (cursor != null && pages < 10);
        assertTrue(keys.containsAll(List.of("LIST_0", "LIST_6", "OTHER_KEY")));
        assertTrue(pages >= 3);
        Response ids = vault.get("/v1/identities?limit=1", OWNER);
        assertEquals(1, ids.json().get("items").size());
        assertFalse(ids.json().get("nextCursor").isNull());
    }

    @Test
    void badInputGetsProblemJson() {
        record Case(String method, String path, String token, String body, int status, String code) {
        }
        String big = "x".repeat(64 * 1024 + 1);
        String huge = "{\"id\":\"" + "y".repeat(2 * 1024 * 1024) + "\"}";
        List<Case> cases = new ArrayList<>(List.of(
                new Case("POST", "/v1/vault/secrets", OWNER, "{not json", 400, "malformed_json"),
                new Case("POST", "/v1/vault/secrets", OWNER, "[1,2]", 400, "malformed_json"),
                new Case("POST", "/v1/vault/secrets", OWNER, "", 400, "malformed_json"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"K\",\"value\":5,\"type\":\"api_key\"}", 400, "invalid_argument"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"K\",\"type\":\"api_key\"}", 400, "invalid_argument"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"bad key!\",\"value\":\"v-1234567\",\"type\":\"api_key\"}", 400, "invalid_name"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"K\",\"value\":\"v-1234567\",\"type\":\"nosuch\"}", 422, "unknown_type"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"K\",\"value\":\"v-1234567\",\"type\":\"api_key\",\"vaule\":1}", 400, "invalid_argument"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"nobody\",\"key\":\"K\",\"value\":\"v-1234567\",\"type\":\"api_key\"}", 404, "identity_not_found"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"BIG\",\"value\":\"" + big + "\",\"type\":\"api_key\"}", 413, "value_too_large"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"OPENAI_API_KEY\",\"value\":\"v-1234567\",\"type\":\"api_key\"}", 409, "already_exists"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"NL\",\"value\":\"line1\\nline2\",\"type\":\"api_key\"}", 422, "invalid_value"),
                new Case("GET", "/v1/vault/secrets/agent_123/NOPE", OWNER, null, 404, "secret_not_found"),
                new Case("GET", "/v1/vault/secrets/agent_123/OPENAI_API_KEY", null, null, 401, "unauthenticated"),
                new Case("GET", "/v1/vault/secrets/agent_123/OPENAI_API_KEY", "avt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", null, 401, "unauthenticated"),
                new Case("GET", "/v1/vault/secrets/agent_123/OPENAI_API_KEY", "garbage", null, 401, "unauthenticated"),
                new Case("GET", "/v1/identities/nobody", OWNER, null, 404, "identity_not_found"),
                new Case("GET", "/v1/vault/secrets/nobody", OWNER, null, 404, "identity_not_found"),
                new Case("GET", "/v1/vault/secrets/nobody?limit=5", OWNER, null, 404, "identity_not_found"),
                new Case("POST", "/v1/identities", OWNER, "{\"id\":\"-bad\"}", 400, "invalid_name"),
                new Case("POST", "/v1/identities", OWNER, "{\"id\":\"agent_123\"}", 409, "already_exists"),
                new Case("GET", "/v1/vault/audit/logs?from=yesterday", OWNER, null, 400, "invalid_argument"),
                new Case("GET", "/v1/vault/audit/logs?limit=0", OWNER, null, 400, "invalid_argument"),
                new Case("GET", "/v1/nowhere", OWNER, null, 404, "not_found"),
                new Case("POST", "/v1/identities", OWNER, huge, 413, "payload_too_large"),
                new Case("GET", "/v1/vault/secrets/agent_123/OPENAI_API_KEY/extra", OWNER, null, 404, "not_found"),
                new Case("GET", "/v1/vault/secrets/agent_123/", OWNER, null, 404, "not_found"),
                new Case("GET", "/v1/vault/secrets/agent_123%2FOPENAI_API_KEY", OWNER, null, 400, "invalid_name"),
                new Case("POST", "/v1/identities", OWNER, "[".repeat(5000) + "]".repeat(5000), 400, "malformed_json"),
                new Case("POST", "/v1/identities", OWNER, "{\"id\":\"dup_a\",\"id\":\"dup_b\"}", 400, "malformed_json"),
                new Case("POST", "/v1/vault/secrets", OWNER, "{\"identityId\":\"agent_123\",\"key\":\"SURR\",\"value\":\"\\ud800abc\",\"type\":\"api_key\"}", 400, "invalid_argument"),
                new Case("PUT", "/v1/vault/secrets/agent_123/NOPE", OWNER, "{\"value\":\"v-1234567\"}", 404, "secret_not_found")));
        for (Case c : cases) {
            Response r = vault.request(c.method(), c.path(), c.token(), c.body());
            assertEquals(c.status(), r.status(), c + " -> " + r.body());
            assertEquals(c.code(), r.code(), c + " -> " + r.body());
            assertTrue(r.contentType().startsWith("application/problem+json"), c + " -> " + r.contentType());
            assertFalse(r.body().contains("Exception"), "no stack traces: " + r.body());
            assertFalse(r.body().contains("line1"), "no values in errors");
        }
        // nothing stored was lost or changed by the failed writes
        Response read = vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", OWNER);
        assertEquals(OPENAI, read.json().get("value").asText());
        assertEquals(1, read.json().get("version").asInt());
    }

    @Test
    void restrictedAndRevokedTokens() {
        Response issued = vault.post("/v1/identities/agent_123/tokens", OWNER,
                "{\"name\":\"ci\",\"keys\":[\"OPENAI_API_KEY\"],\"ttl\":\"1h\"}");
        assertEquals(201, issued.status(), issued.body());
        String token = issued.json().get("token").asText();
        assertNotNull(issued.json().get("expiresAt").asText());
        assertEquals(200, vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token).status());
        vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_123", "key", "RESTRICTED",
                "value", "restricted-value-1", "type", "api_key")));
        assertEquals(403, vault.get("/v1/vault/secrets/agent_123/RESTRICTED", token).status());
        Response listed = vault.get("/v1/vault/secrets/agent_123?limit=1000", token);
        assertEquals(200, listed.status(), listed.body());
        List<String> keys = new ArrayList<>();
        listed.json().get("items").forEach(i -> keys.add(i.get("key").asText()));
        assertEquals(List.of("OPENAI_API_KEY"), keys, "a token limited to some keys lists only those");
        String id = issued.json().get("id").asText();
        assertEquals(204, vault.delete("/v1/identities/agent_123/tokens/" + id, OWNER).status());
        assertEquals(401, vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", token).status());
        assertEquals(404, vault.delete("/v1/identities/agent_123/tokens/" + id, OWNER).status());
    }

    @Test
    void disablingAnIdentityRevokesItsTokens() {
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_tmp\"}").status());
        vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_tmp", "key", "K1",
                "value", "tmp-value-1", "type", "api_key")));
        String token = identityToken("agent_tmp", "{}");
        assertEquals(200, vault.get("/v1/vault/secrets/agent_tmp/K1", token).status());
        Response disabled = vault.delete("/v1/identities/agent_tmp", OWNER);
        assertEquals(200, disabled.status());
        assertTrue(disabled.json().get("disabled").asBoolean());
        assertEquals(401, vault.get("/v1/vault/secrets/agent_tmp/K1", token).status());
        assertEquals("identity_disabled", vault.post("/v1/identities/agent_tmp/tokens", OWNER, "{}").code());
        assertEquals(200, vault.get("/v1/vault/secrets/agent_tmp/K1", OWNER).status(), "secrets are kept");
    }

    @Test
    void deleteRemovesTheSecret() {
        vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_456", "key", "GONE",
                "value", "gone-value-1", "type", "api_key")));
        assertEquals(204, vault.delete("/v1/vault/secrets/agent_456/GONE", OWNER).status());
        assertEquals(404, vault.get("/v1/vault/secrets/agent_456/GONE", OWNER).status());
        assertEquals(404, vault.delete("/v1/vault/secrets/agent_456/GONE", OWNER).status());
    }

    @Test
    void dataDirectoryNeverHoldsAValueInClear() throws IOException {
        vault.get("/v1/vault/secrets/agent_123/OPENAI_API_KEY", OWNER);
        byte[] needle = OPENAI.getBytes(StandardCharsets.UTF_8);
        for (Path f : vault.dataFiles()) {
            byte[] content = Files.readAllBytes(f);
            assertEquals(-1, indexOf(content, needle), "found the secret value in clear in " + f);
            assertEquals(-1, indexOf(content, OWNER.getBytes(StandardCharsets.UTF_8)), "found a token in " + f);
        }
    }

    @Test
    void identityTokenMayReadItsOwnIdentityOnly() {
        String token = identityToken("agent_123", "{}");
        assertEquals(200, vault.get("/v1/identities/agent_123", token).status());
        assertEquals(403, vault.get("/v1/identities/agent_456", token).status());
        assertEquals(403, vault.get("/v1/identities", token).status());
        assertNull(vault.get("/v1/identities/agent_123", token).json().get("token"));
    }

    @Test
    void requestsHelidonRefusesBeforeRoutingAreProblemJsonToo() {
        Response longUri = vault.get("/v1/vault/secrets/" + "a".repeat(20_000) + "/K", OWNER);
        assertTrue(longUri.status() >= 400 && longUri.status() < 500, longUri.status() + " " + longUri.body());
        assertTrue(longUri.contentType().startsWith("application/problem+json"), longUri.contentType());
        assertEquals(longUri.status(), longUri.json().get("status").asInt());
        assertFalse(longUri.body().contains("aaaaaaaaaa"), "nothing of the request is echoed");
    }

    @Test
    void aTokenRecordEditedInStorageIsRefused() throws Exception {
        Response issued = vault.post("/v1/identities/agent_123/tokens", OWNER, "{\"keys\":[\"OPENAI_API_KEY\"]}");
        String token = issued.json().get("token").asText();
        String id = issued.json().get("id").asText();
        var storage = vault.node().storage();
        var record = storage.getRecord("tokens", id).orElseThrow();
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(record.value());
        json.remove("keys");
        json.put("kind", "ORG_API_KEY");
        storage.putRecord("tokens", id, json.toString().getBytes(StandardCharsets.UTF_8), record.revision());
        Response r = vault.get("/v1/vault/secrets/agent_456/OTHER_KEY", token);
        assertEquals(500, r.status(), r.body());
        assertEquals("integrity_error", r.code());
        assertFalse(r.body().contains("other-agent-value"));
    }

    @Test
    void requestIdsMatchAcrossHeaderProblemBodyAndAuditAndNeverLeakIntoTheNextRequest() throws Exception {
        String token = identityToken("agent_123", "{}");
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build(); // one kept-alive connection
        java.util.function.BiFunction<String, String, java.net.http.HttpResponse<String>> get = (path, clientId) -> {
            var b = java.net.http.HttpRequest.newBuilder(vault.uri(path)).header("Authorization", "Bearer " + token);
            if (clientId != null) {
                b.header("X-Request-Id", clientId);
            }
            try {
                return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        // a client's own id is echoed and lands in the audit event
        var echoed = get.apply("/v1/vault/secrets/agent_123/OPENAI_API_KEY", "trace-abc.123");
        assertEquals(200, echoed.statusCode());
        assertEquals("trace-abc.123", echoed.headers().firstValue("X-Request-Id").orElseThrow());
        // an error: header, problem body and audit event carry the same generated id
        var missing = get.apply("/v1/vault/secrets/agent_123/NO_SUCH_KEY", null);
        assertEquals(404, missing.statusCode());
        String id = missing.headers().firstValue("X-Request-Id").orElseThrow();
        assertTrue(id.matches("[0-9a-f]{16}"), id);
        assertEquals(id, TestVault.JSON.readTree(missing.body()).get("requestId").asText());
        // a client id that is not acceptable is replaced, and ids differ between requests on one connection
        var replaced = get.apply("/v1/vault/secrets/agent_123/OPENAI_API_KEY", "bad id with spaces");
        String replacedId = replaced.headers().firstValue("X-Request-Id").orElseThrow();
        assertTrue(replacedId.matches("[0-9a-f]{16}") && !replacedId.equals(id), replacedId);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            assertTrue(seen.add(get.apply("/v1/vault/secrets/agent_123/OPENAI_API_KEY", null).headers()
                    .firstValue("X-Request-Id").orElseThrow()));
        }
        Response logs = vault.get("/v1/vault/audit/logs?identityId=agent_123&limit=1000", OWNER);
        boolean sawEcho = false;
        boolean sawMissing = false;
        for (JsonNode e : logs.json().get("items")) {
            String rid = e.path("requestId").asText();
            sawEcho |= rid.equals("trace-abc.123") && e.get("outcome").asText().equals("SUCCESS");
            sawMissing |= rid.equals(id) && "NO_SUCH_KEY".equals(e.path("secretKey").asText())
                    && e.get("outcome").asText().equals("FAILURE");
        }
        assertTrue(sawEcho, "audit has the client's request id");
        assertTrue(sawMissing, "audit has the failed read under the id the client was given: " + logs.body());
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
