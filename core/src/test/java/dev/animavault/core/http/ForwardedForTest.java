package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** X-Forwarded-For names the client for audit and throttling only when the peer is a trusted proxy. */
@Timeout(120)
class ForwardedForTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private int get(TestVault vault, String path, String token, String forwardedFor) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(vault.uri(path)).header("Authorization", "Bearer " + token);
        if (forwardedFor != null) {
            b.header("X-Forwarded-For", forwardedFor);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The addresses of the identity.list events, in the order the audit query gives them. */
    private static java.util.Set<String> addresses(TestVault vault) {
        JsonNode items = vault.get("/v1/vault/audit/logs?action=identity.list&limit=100", TestVault.OWNER_TOKEN)
                .json().get("items");
        java.util.Set<String> out = new java.util.TreeSet<>();
        items.forEach(i -> out.add(i.get("remoteAddress").asText()));
        return out;
    }

    @Test
    void fromATrustedProxyTheForwardedAddressIsAuditedAndThrottled() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b.trustedProxies(List.of("127.0.0.1")))) {
            assertEquals(200, get(vault, "/v1/identities", TestVault.OWNER_TOKEN, "203.0.113.5"));
            assertEquals(200, get(vault, "/v1/identities", TestVault.OWNER_TOKEN, "198.51.100.1, 203.0.113.6"));
            assertEquals(java.util.Set.of("203.0.113.5", "203.0.113.6"), addresses(vault));

            // unknown tokens are throttled per forwarded client: one client's flood leaves another alone
            int status = 0;
            for (int i = 0; i < 40 && status != 429; i++) {
                status = get(vault, "/v1/identities", "wrong-token", "203.0.113.66");
            }
            assertEquals(429, status, "the flooding client is throttled");
            assertEquals(401, get(vault, "/v1/identities", "wrong-token", "203.0.113.77"), "another client is not");
        }
    }

    @Test
    void withoutTrustedProxiesTheHeaderIsIgnored() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(200, get(vault, "/v1/identities", TestVault.OWNER_TOKEN, "203.0.113.5"));
            assertEquals(java.util.Set.of("127.0.0.1"), addresses(vault));
        }
    }
}
