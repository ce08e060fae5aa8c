package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.auth.FailedAuthThrottle;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed-authentication flood from one address is throttled and summarized instead of writing one
 * audit event per request (issue 10, item 14).
 */
class AuthFloodTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int FLOOD = 300;

    @TempDir
    Path tmp;

    @Test
    void aFloodOfBadTokensIsThrottledAndAuditedAsOneSummary() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                    "key", "K", "value", "flood-value-1", "type", "api_key"))).status());
            Path auditFile = vault.dataDir().resolve("audit/audit.jsonl");
            long before = lines(auditFile).size();

            HttpClient http = HttpClient.newHttpClient();
            int unauthorized = 0;
            int throttled = 0;
            for (int i = 0; i < FLOOD; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(vault.uri("/v1/vault/secrets/agent_1/K"))
                        .header("Authorization", "Bearer avt_0123456789abcdef_guess" + i).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 401) {
                    unauthorized++;
                } else {
                    assertEquals(429, r.statusCode(), r.body());
                    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
                    assertEquals("rate_limited", TestVault.JSON.readTree(r.body()).get("code").asText());
                    long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
                    assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
                    throttled++;
                }
            }
            assertTrue(unauthorized >= FailedAuthThrottle.DEFAULT_BURST && unauthorized < FailedAuthThrottle.DEFAULT_BURST + 30,
                    unauthorized + " answered 401");
            assertEquals(FLOOD, unauthorized + throttled);
            // a valid token from the same address is not throttled
            assertEquals(200, vault.get("/v1/vault/secrets/agent_1/K", OWNER).status());

            assertEquals(1, vault.node().authFailures().flushSummaries());
            List<JsonNode> added = lines(auditFile).subList((int) before, lines(auditFile).size());
            long individual = added.stream().filter(e -> "unauthenticated".equals(e.path("errorCode").asText())).count();
            assertEquals(unauthorized, individual, "each 401 audited on its own");
            List<JsonNode> summaries = added.stream().filter(e -> e.get("action").asText().equals("auth.denied")).toList();
            assertEquals(1, summaries.size(), "one summary for the throttled ones");
            JsonNode summary = summaries.get(0);
            assertEquals(throttled, summary.at("/details/failures").asInt());
            assertEquals("127.0.0.1", summary.get("remoteAddress").asText());
            assertEquals("rate_limited", summary.get("errorCode").asText());
            assertEquals("DENIED", summary.get("outcome").asText());
            assertTrue(added.size() < unauthorized + 5, "audit lines bounded: " + added.size());
        }
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return TestVault.JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
