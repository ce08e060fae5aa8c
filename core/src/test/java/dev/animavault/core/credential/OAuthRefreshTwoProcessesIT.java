package dev.animavault.core.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.cluster.ChildVault;
import dev.animavault.core.cluster.PgSchema;
import dev.animavault.core.rotation.VaultChild;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: two vault processes (two JVMs, {@link VaultChild}) on one PostgreSQL database (a schema of this
 * test's own) read one {@code oauth_refresh} secret concurrently, against a real authorization server
 * (mock-oauth2-server, refresh-token rotation on, 4 s access tokens) on loopback: per expiry exactly one
 * refresh, and every read of both processes returns the same valid access token.
 */
class OAuthRefreshTwoProcessesIT {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String CLIENT_SECRET = "client-secret-" + Long.toHexString(System.nanoTime());
    private static final int TOKEN_SECONDS = 4;
    private static final int READS_PER_PROCESS = 20;
    private static final int CYCLES = 3;

    @TempDir
    Path tmp;

    @Test
    void twoProcessesRefreshOncePerExpiryAndBothServeValidTokens() throws Exception {
        Path rootKey = tmp.resolve("root.key");
        MockOAuth2Server oauth = new MockOAuth2Server(new OAuth2Config(false, null, null, true,
                new OAuth2TokenProvider(), Set.of(new DefaultOAuth2TokenCallback("default", "agent", "JWT",
                List.of("api"), Map.of(), TOKEN_SECONDS))));
        oauth.start(InetAddress.getLoopbackAddress(), 0);
        ExecutorService pool = Executors.newFixedThreadPool(2 * READS_PER_PROCESS);
        TestVault.pluginsDir(tmp.resolve("a"));
        TestVault.pluginsDir(tmp.resolve("b"));
        try (PgSchema pg = PgSchema.create("i12_oauth2p");
             // a first (it creates the tables and the keyring), then b
             ChildVault a = ChildVault.start(tmp.resolve("a"), pg, rootKey, List.of(), "oauth");
             ChildVault b = ChildVault.start(tmp.resolve("b"), pg, rootKey, List.of(), "oauth")) {
            assertEquals(201, a.call("POST", "/v1/identities", OWNER, "{\"id\":\"agent_1\"}").statusCode());
            String agent = TestVault.JSON.readTree(a.call("POST", "/v1/identities/agent_1/tokens", OWNER, "{}")
                    .body()).get("token").asText();
            Map<String, String> grant = new LinkedHashMap<>();
            grant.put("tokenUrl", oauth.tokenEndpointUrl("default").toString());
            grant.put("clientId", "agent-client");
            grant.put("clientSecret", CLIENT_SECRET);
            String refreshToken = issuedRefreshToken(oauth);
            grant.put("refreshToken", refreshToken);
            grant.put("scope", "openid api");
            HttpResponse<String> created = b.call("POST", "/v1/vault/secrets", OWNER, TestVault.json(Map.of(
                    "identityId", "agent_1", "key", "SHARED_TOKEN", "type", "oauth_refresh",
                    "value", TestVault.json(grant))));
            assertEquals(201, created.statusCode(), created.body());
            drain(oauth);

            Set<String> allTokens = new HashSet<>();
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<HttpResponse<String>>> reads = new ArrayList<>();
                for (int i = 0; i < 2 * READS_PER_PROCESS; i++) {
                    ChildVault node = i % 2 == 0 ? a : b;
                    reads.add(pool.submit(() -> {
                        go.await();
                        return node.call("GET", "/v1/vault/secrets/agent_1/SHARED_TOKEN", agent, null);
                    }));
                }
                go.countDown();
                Set<String> tokens = new HashSet<>();
                for (Future<HttpResponse<String>> f : reads) {
                    HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), "cycle " + cycle + ": " + r.body());
                    JsonNode body = TestVault.JSON.readTree(r.body());
                    String access = body.get("value").asText();
                    assertValid(access, oauth);
                    assertTrue(Instant.parse(body.get("expiresAt").asText()).isAfter(Instant.now()));
                    tokens.add(access);
                }
                assertEquals(1, tokens.size(), "cycle " + cycle + ": both processes served the one refreshed token");
                assertFalse(allTokens.contains(tokens.iterator().next()), "cycle " + cycle + ": a new token");
                allTokens.addAll(tokens);
                List<RecordedRequest> calls = drain(oauth);
                assertEquals(1, calls.size(), "cycle " + cycle + ": one refresh for " + 2 * READS_PER_PROCESS
                        + " concurrent reads in two processes");
                assertTrue(calls.get(0).getUtf8Body().contains("grant_type=refresh_token"));
                Thread.sleep(TOKEN_SECONDS * 1000L / 2 + 300); // past refreshAt (half the lifetime)
            }
            // no refresh token, client secret or access token in either process's log
            for (ChildVault node : List.of(a, b)) {
                String log = Files.readString(node.root().resolve("child.log"));
                assertFalse(log.contains(CLIENT_SECRET) || log.contains(refreshToken), node.root() + "'s log");
                for (String t : allTokens) {
                    assertFalse(log.contains(t), node.root() + "'s log holds an access token");
                }
            }
            System.out.println("OAuthRefreshTwoProcessesIT: " + CYCLES + " expiries, " + 2 * READS_PER_PROCESS
                    + " concurrent reads each over 2 processes, 1 token request per expiry");
        } finally {
            pool.shutdownNow();
            oauth.shutdown();
        }
    }

    /** A JWT the authorization server signed, not expired (its payload's iss and exp). */
    private static void assertValid(String jwt, MockOAuth2Server oauth) throws Exception {
        String[] parts = jwt.split("\\.");
        assertEquals(3, parts.length, "a JWT");
        JsonNode claims = TestVault.JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals(oauth.issuerUrl("default").toString(), claims.get("iss").asText());
        assertTrue(claims.get("exp").asLong() > Instant.now().getEpochSecond(), "not expired");
    }

    /** A refresh token the authorization server really issued: authorization code flow, non-interactive. */
    private static String issuedRefreshToken(MockOAuth2Server oauth) throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String authorize = oauth.authorizationEndpointUrl("default") + "?response_type=code&client_id=agent-client"
                + "&redirect_uri=" + URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8)
                + "&scope=" + URLEncoder.encode("openid api", StandardCharsets.UTF_8) + "&state=s1&nonce=n1";
        HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(URI.create(authorize)).build(),
                HttpResponse.BodyHandlers.ofString());
        String location = redirect.headers().firstValue("Location").orElseThrow();
        String code = location.replaceAll(".*[?&]code=([^&]+).*", "$1");
        String form = "grant_type=authorization_code&code=" + code + "&redirect_uri="
                + URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8)
                + "&client_id=agent-client&client_secret=" + URLEncoder.encode(CLIENT_SECRET, StandardCharsets.UTF_8);
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(oauth.tokenEndpointUrl("default")
                        .toString())).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, token.statusCode(), token.body());
        return TestVault.JSON.readTree(token.body()).get("refresh_token").asText();
    }

    /** The requests the authorization server received since the last call. */
    private static List<RecordedRequest> drain(MockOAuth2Server oauth) {
        List<RecordedRequest> out = new ArrayList<>();
        while (true) {
            try {
                out.add(oauth.takeRequest(300, TimeUnit.MILLISECONDS));
            } catch (RuntimeException none) {
                return out;
            }
        }
    }
}
