package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client's X-Request-Id cannot carry a token into the audit log (issue 10, item 6). */
class RequestIdTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private String echoed(TestVault vault, String path, String token, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(vault.uri(path)).header("X-Request-Id", requestId);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return r.headers().firstValue("X-Request-Id").orElseThrow();
    }

    @Test
    void aTokenSentAsRequestIdNeverReachesTheAuditLog() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            String token = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();
            assertEquals(64, token.length());

            // a client that mixes up its headers: the full token, and a token without its prefix
            assertNotEquals(token, echoed(vault, "/v1/identities/agent_1", token, token));
            assertNotEquals(token.substring(4), echoed(vault, "/v1/identities/agent_1", token, token.substring(4)));
            assertNotEquals(OWNER, echoed(vault, "/v1/identities/agent_1", OWNER, OWNER));
            // refused authentications are audited too
            assertNotEquals(token, echoed(vault, "/v1/identities/agent_1", null, token));

            String log = vault.get("/v1/vault/audit/logs?limit=1000", OWNER).body();
            assertFalse(log.contains(token.substring(20)), "no token in the audit log");
            assertFalse(log.contains(OWNER), "no bootstrap token in the audit log");
            String file = java.nio.file.Files.readString(vault.dataDir().resolve("audit/audit.jsonl"));
            assertFalse(file.contains(token.substring(20)) || file.contains(OWNER), "no token in the audit file");
        }
    }

    @Test
    void ordinaryRequestIdsAreKept() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            String id = "a".repeat(RequestIds.MAX_LENGTH);
            assertEquals(id, echoed(vault, "/v1/sys/health", null, id));
            assertEquals("build-42.step_7", echoed(vault, "/v1/sys/health", null, "build-42.step_7"));
            assertNotEquals("a".repeat(RequestIds.MAX_LENGTH + 1),
                    echoed(vault, "/v1/sys/health", null, "a".repeat(RequestIds.MAX_LENGTH + 1)));
            assertNotEquals("x-avk_1", echoed(vault, "/v1/sys/health", null, "x-avk_1"));
            assertTrue(RequestIds.acceptable("req-123"));
            assertFalse(RequestIds.acceptable("AVT_0123"));
            assertFalse(RequestIds.acceptable("avdev_00"));
            assertFalse(RequestIds.acceptable("with space"));
        }
    }
}
