package dev.animavault.core.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.RotationConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code oauth_refresh} end to end: the real plugin zip in a real vault over HTTP, refreshing against a
 * real OAuth 2.0 authorization server (mock-oauth2-server, refresh token rotation on) on loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OAuthRefreshTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final String CLIENT_SECRET = "client-secret-" + Long.toHexString(System.nanoTime()) + "-s3cr3t";
    /** Access tokens live 4 s: the vault refreshes them 2 s before (half the lifetime; skew is 30 s). */
    private static final int TOKEN_SECONDS = 4;
    /** An issuer whose access tokens live 10 s, for proactive refresh (refreshAt 5 s after issue). */
    private static final String LONGER = "longer";
    private static final int LONGER_TOKEN_SECONDS = 10;

    @TempDir
    static Path tmp;
    TestVault vault;
    MockOAuth2Server oauth;
    String agentToken;
    final List<String> secretsSeen = new CopyOnWriteArrayList<>();
    final List<String> logLines = new CopyOnWriteArrayList<>();
    final Handler logCapture = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            String name = record.getLoggerName() == null ? "" : record.getLoggerName();
            // the authorization server's own logs (it runs in this JVM) are not the vault's
            if (!name.startsWith("no.nav") && !name.startsWith("okhttp3") && !name.startsWith("mockwebserver")) {
                logLines.add(formatter.format(record));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    void start() throws Exception {
        Logger.getLogger("").addHandler(logCapture);
        oauth = new MockOAuth2Server(new OAuth2Config(false, null, null, true, new OAuth2TokenProvider(),
                Set.of(new DefaultOAuth2TokenCallback("default", "agent", "JWT", List.of("api"), Map.of(), TOKEN_SECONDS),
                        new DefaultOAuth2TokenCallback(LONGER, "agent", "JWT", List.of("api"), Map.of(),
                                LONGER_TOKEN_SECONDS))));
        oauth.start(InetAddress.getLoopbackAddress(), 0);
        ProviderSpec oauthType = new ProviderSpec("oauth_refresh", Map.of("timeout", "1s", "retry-after", "3s"));
        vault = TestVault.start(tmp, b -> b.credentialTypeSpecs(List.of(ProviderSpec.of("api_key"), oauthType))
                .egressAllow(List.of("127.0.0.1"))
                // proactive refresh polls with the rotation engine (and leaves 3 x 200 ms + 1 s of lead)
                .rotation(new RotationConfig(true, Duration.ofMillis(200), Duration.ofSeconds(1),
                        RotationConfig.STANDARD_RETRIES, Duration.ofSeconds(3), Duration.ofHours(1))));
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
        Response issued = vault.post("/v1/identities/agent_1/tokens", OWNER, "{}");
        agentToken = issued.json().get("token").asText();
        secretsSeen.add(CLIENT_SECRET);
    }

    @AfterAll
    void stop() throws Exception {
        Logger.getLogger("").removeHandler(logCapture);
        try {
            vault.close();
            oauth.shutdown();
        } finally {
            assertNoSecretAnywhere();
        }
    }

    private String tokenUrl() {
        return tokenUrl("default");
    }

    private String tokenUrl(String issuer) {
        return oauth.tokenEndpointUrl(issuer).toString();
    }

    /** A refresh token the authorization server really issued: authorization code flow, non-interactive. */
    private String issuedRefreshToken() throws Exception {
        return issuedRefreshToken("default");
    }

    private String issuedRefreshToken(String issuer) throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String authorize = oauth.authorizationEndpointUrl(issuer) + "?response_type=code&client_id=agent-client"
                + "&redirect_uri=" + URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8)
                + "&scope=" + URLEncoder.encode("openid api", StandardCharsets.UTF_8) + "&state=s1&nonce=n1";
        HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(java.net.URI.create(authorize)).build(),
                HttpResponse.BodyHandlers.ofString());
        String location = redirect.headers().firstValue("Location").orElseThrow(
                () -> new AssertionError("no redirect from the authorization endpoint: " + redirect.statusCode()));
        String code = location.replaceAll(".*[?&]code=([^&]+).*", "$1");
        String form = "grant_type=authorization_code&code=" + code + "&redirect_uri="
                + URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8)
                + "&client_id=agent-client&client_secret=" + URLEncoder.encode(CLIENT_SECRET, StandardCharsets.UTF_8);
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(java.net.URI.create(tokenUrl(issuer)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, token.statusCode(), token.body());
        String refreshToken = TestVault.JSON.readTree(token.body()).get("refresh_token").asText();
        secretsSeen.add(refreshToken);
        tokenRequests(); // the test's own calls do not count
        return refreshToken;
    }

    /** Revokes a refresh token at the authorization server (RFC 7009). */
    private void revoke(String refreshToken) throws Exception {
        String form = "token=" + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8)
                + "&token_type_hint=refresh_token&client_id=agent-client&client_secret="
                + URLEncoder.encode(CLIENT_SECRET, StandardCharsets.UTF_8);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        java.net.URI.create(oauth.revocationEndpointUrl("default").toString()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        tokenRequests();
    }

    private String grant(String tokenUrl, String refreshToken, String clientAuth) {
        secretsSeen.add(refreshToken);
        Map<String, String> g = new LinkedHashMap<>();
        g.put("tokenUrl", tokenUrl);
        g.put("clientId", "agent-client");
        g.put("clientSecret", CLIENT_SECRET);
        g.put("refreshToken", refreshToken);
        g.put("scope", "openid api");
        g.put("clientAuth", clientAuth);
        return TestVault.json(g);
    }

    private void store(String key, String tokenUrl, String refreshToken) {
        Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1", "key", key,
                "type", "oauth_refresh", "value", grant(tokenUrl, refreshToken, "client_secret_basic"))));
        assertEquals(201, r.status(), r.body());
        assertFalse(r.json().has("hint"));
    }

    private Response read(String key) {
        Response r = vault.get("/v1/vault/secrets/agent_1/" + key, agentToken);
        if (r.status() == 200) {
            secretsSeen.add(r.json().get("value").asText());
        } else {
            assertErrorBodyClean(r.body());
        }
        return r;
    }

    private JsonNode stored(String key) throws IOException {
        Response r = vault.get("/v1/vault/secrets/agent_1/" + key + "?form=stored", OWNER);
        assertEquals(200, r.status(), r.body());
        JsonNode grant = TestVault.JSON.readTree(r.json().get("value").asText());
        secretsSeen.add(grant.get("refreshToken").asText());
        return grant;
    }

    /** The listing entry of a secret of agent_1. */
    private JsonNode listed(String key) {
        Response r = vault.get("/v1/vault/secrets/agent_1?limit=100", OWNER);
        assertEquals(200, r.status(), r.body());
        for (JsonNode item : r.json().get("items")) {
            if (item.get("key").asText().equals(key)) {
                return item;
            }
        }
        throw new AssertionError("secret " + key + " not listed: " + r.body());
    }

    /** The token requests the authorization server received since the last call. */
    private List<RecordedRequest> tokenRequests() {
        List<RecordedRequest> out = new ArrayList<>();
        while (true) {
            try {
                out.add(oauth.takeRequest(300, TimeUnit.MILLISECONDS));
            } catch (RuntimeException none) { // mock-oauth2-server throws when the queue stays empty
                return out;
            }
        }
    }

    private static void sleepPastRefresh() throws InterruptedException {
        Thread.sleep(TOKEN_SECONDS * 1000L / 2 + 300);
    }

    @Test
    void agentsReadLiveAccessTokensThatAreRefreshedAfterExpiry() throws Exception {
        String initial = issuedRefreshToken();
        store("GITHUB_TOKEN", tokenUrl(), initial);
        Response first = read("GITHUB_TOKEN");
        assertEquals(200, first.status(), first.body());
        String access = first.json().get("value").asText();
        assertEquals(3, access.split("\\.").length, "a JWT access token from the authorization server");
        assertEquals("Bearer", first.json().get("tokenType").asText());
        assertEquals("openid api", first.json().get("scope").asText());
        Instant expiresAt = Instant.parse(first.json().get("expiresAt").asText());
        assertTrue(expiresAt.isAfter(Instant.now()), "not expired");
        assertFalse(first.body().contains(initial) || first.body().contains(CLIENT_SECRET)
                || first.body().contains("refreshToken"), "no refresh token or client secret reaches the agent");

        List<RecordedRequest> calls = tokenRequests();
        assertEquals(1, calls.size());
        String form = calls.get(0).getUtf8Body();
        assertTrue(form.contains("grant_type=refresh_token"), "RFC 6749 section 6 refresh");
        assertTrue(form.contains("refresh_token=" + URLEncoder.encode(initial, StandardCharsets.UTF_8)));
        assertTrue(calls.get(0).getHeader("Authorization").startsWith("Basic "), "client_secret_basic");

        // cached while fresh: no second call
        assertEquals(access, read("GITHUB_TOKEN").json().get("value").asText());
        assertEquals(0, tokenRequests().size());

        sleepPastRefresh();
        Response second = read("GITHUB_TOKEN");
        assertEquals(200, second.status(), second.body());
        assertNotEquals(access, second.json().get("value").asText(), "a fresh access token");
        assertTrue(Instant.parse(second.json().get("expiresAt").asText()).isAfter(expiresAt));
        assertEquals(1, tokenRequests().size());

        // the stored form: organization keys only, explicitly
        Response denied = vault.get("/v1/vault/secrets/agent_1/GITHUB_TOKEN?form=stored", agentToken);
        assertEquals(403, denied.status(), denied.body());
        assertErrorBodyClean(denied.body());
        assertEquals("agent-client", stored("GITHUB_TOKEN").get("clientId").asText());
        Response audit = vault.get("/v1/vault/audit/logs?action=secret.read_stored&limit=10", OWNER);
        assertTrue(audit.json().get("items").size() >= 2, audit.body()); // the denied and the allowed one
    }

    @Test
    void aSecretWithARotationPolicyIsRefreshedAheadOfExpiryByTheVault() throws Exception {
        store("AHEAD", tokenUrl(LONGER), issuedRefreshToken(LONGER));
        Response policy = vault.request("PATCH", "/v1/vault/secrets/agent_1/AHEAD/rotation", OWNER,
                "{\"interval\":\"30d\",\"webhookUrl\":\"http://127.0.0.1:9/rotate\"}");
        assertEquals(200, policy.status(), policy.body());
        Response first = read("AHEAD");
        assertEquals(200, first.status(), first.body());
        Instant firstExpiresAt = Instant.parse(first.json().get("expiresAt").asText());
        assertEquals(1, tokenRequests().size());

        // no reads until past the first token's refreshAt (expiresAt - 5 s: half its lifetime)
        long wait = firstExpiresAt.minusMillis(4_500).toEpochMilli() - System.currentTimeMillis();
        Thread.sleep(Math.max(0, wait));
        List<RecordedRequest> ahead = tokenRequests();
        assertFalse(ahead.isEmpty(), "the vault refreshed the access token before any read asked");
        assertTrue(ahead.get(0).getUtf8Body().contains("grant_type=refresh_token"));

        // without the policy no more proactive refreshes: the next read alone is judged
        assertEquals(200, vault.delete("/v1/vault/secrets/agent_1/AHEAD/rotation", OWNER).status());
        tokenRequests();
        Response next = read("AHEAD");
        assertEquals(200, next.status(), next.body());
        assertNotEquals(first.json().get("value").asText(), next.json().get("value").asText());
        assertTrue(Instant.parse(next.json().get("expiresAt").asText()).isAfter(firstExpiresAt));
        assertEquals(0, tokenRequests().size(), "the read found the token the vault refreshed ahead");
        Response audit = vault.get("/v1/vault/audit/logs?action=secret.refresh&secretKey=AHEAD&limit=100", OWNER);
        List<JsonNode> byRefresher = new ArrayList<>();
        audit.json().get("items").forEach(e -> {
            if (e.path("details").path("trigger").asText().equals("ahead")) {
                byRefresher.add(e);
            }
        });
        assertFalse(byRefresher.isEmpty(), audit.body());
    }

    @Test
    void fiftyConcurrentReadsCauseOneRefresh() throws Exception {
        store("CONCURRENT", tokenUrl(), issuedRefreshToken());
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Response>> reads = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                reads.add(pool.submit(() -> {
                    go.await();
                    return read("CONCURRENT");
                }));
            }
            long t0 = System.nanoTime();
            go.countDown();
            Set<String> tokens = Collections.synchronizedSet(new java.util.HashSet<>());
            for (Future<Response> f : reads) {
                Response r = f.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.status(), r.body());
                tokens.add(r.json().get("value").asText());
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            long freshMillis = TOKEN_SECONDS * 1000L / 2; // a token is handed out until 2 s before expiry
            int refreshes = tokenRequests().size();
            if (millis < freshMillis) {
                assertEquals(1, tokens.size(), "every reader got the one refreshed token");
                assertEquals(1, refreshes, "exactly one refresh for 50 concurrent reads");
            } else {
                // the reads outlasted the new token's fresh window (a loaded machine): later reads rightly
                // refreshed again; still one refresh per window, each handed out
                System.out.println("fiftyConcurrentReadsCauseOneRefresh: " + millis + " ms, " + refreshes + " refreshes");
                assertEquals(refreshes, tokens.size(), "every refresh handed out, no other token");
                assertTrue(refreshes <= 1 + millis / freshMillis, refreshes + " refreshes in " + millis + " ms");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refreshTokenRotationKeepsWorkingOverFiveCycles() throws Exception {
        String initial = issuedRefreshToken();
        store("ROTATING", tokenUrl(), initial);
        List<String> refreshTokens = new ArrayList<>(List.of(initial));
        int version = 1;
        for (int cycle = 0; cycle < 5; cycle++) {
            Response r = read("ROTATING");
            assertEquals(200, r.status(), r.body());
            List<RecordedRequest> calls = tokenRequests();
            assertEquals(1, calls.size(), "cycle " + cycle);
            String previous = refreshTokens.get(refreshTokens.size() - 1);
            assertTrue(calls.get(0).getUtf8Body().contains("refresh_token="
                    + URLEncoder.encode(previous, StandardCharsets.UTF_8)), "cycle " + cycle + " used the newest token");
            JsonNode grant = stored("ROTATING");
            String now = grant.get("refreshToken").asText();
            assertFalse(refreshTokens.contains(now), "cycle " + cycle + ": the server rotated the refresh token and "
                    + "the vault stored the new one");
            refreshTokens.add(now);
            Response meta = vault.get("/v1/vault/secrets/agent_1/ROTATING?form=stored", OWNER);
            assertTrue(meta.json().get("version").asInt() > version, "a new version per rotation");
            version = meta.json().get("version").asInt();
            sleepPastRefresh();
        }
        Response audit = vault.get("/v1/vault/audit/logs?action=secret.refresh&limit=100", OWNER);
        assertTrue(audit.json().get("items").size() >= 5, audit.body());
        // the server really rotates: a refresh token it replaced is refused (what reuse detection sees)
        HttpResponse<String> reuse = HttpClient.newHttpClient().send(HttpRequest.newBuilder(java.net.URI.create(tokenUrl()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&client_id=agent-client&refresh_token="
                        + URLEncoder.encode(initial, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, reuse.statusCode(), "the first refresh token was rotated away");
        tokenRequests();
    }

    @Test
    void aRevokedRefreshTokenNeedsReauthorization() throws Exception {
        store("REVOKED", tokenUrl(), issuedRefreshToken());
        assertEquals(200, read("REVOKED").status());
        tokenRequests();
        revoke(stored("REVOKED").get("refreshToken").asText());
        sleepPastRefresh();
        Response refused = read("REVOKED");
        assertEquals(409, refused.status(), refused.body());
        assertEquals("reauthorization_required", refused.code());
        assertEquals(1, tokenRequests().size());
        // remembered: no further calls with the dead token
        assertEquals("reauthorization_required", read("REVOKED").code());
        assertEquals(0, tokenRequests().size());
        Response audit = vault.get("/v1/vault/audit/logs?action=secret.reauthorization_required&limit=10", OWNER);
        List<JsonNode> revoked = new ArrayList<>();
        audit.json().get("items").forEach(e -> {
            if (e.get("secretKey").asText().equals("REVOKED")) {
                revoked.add(e);
            }
        });
        assertEquals(1, revoked.size(), audit.body());
        assertEquals("FAILURE", revoked.get(0).get("outcome").asText());
        // listings show the state (no value, no cache read)
        JsonNode listed = listed("REVOKED");
        assertEquals("reauthorization_required", listed.path("state").asText(), listed.toString());
        assertFalse(listed.has("value"));

        // an organization key stores a new refresh token: reads work again
        Response put = vault.put("/v1/vault/secrets/agent_1/REVOKED", OWNER, TestVault.json(Map.of("value",
                grant(tokenUrl(), issuedRefreshToken(), "client_secret_post"))));
        assertEquals(200, put.status(), put.body());
        assertFalse(put.json().has("state"), "a new grant clears the state: " + put.body());
        assertFalse(listed("REVOKED").has("state"));
        assertEquals(200, read("REVOKED").status());
        List<RecordedRequest> calls = tokenRequests();
        assertEquals(1, calls.size());
        assertTrue(calls.get(0).getUtf8Body().contains("client_secret="), "client_secret_post");
    }

    @Test
    void aTokenEndpointThatIsDownOrSlowGives503WithRetryAfter() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        store("DOWN", "http://127.0.0.1:" + closedPort + "/token", "down-refresh-token-ffff-6666");
        HttpResponse<String> down = rawRead("DOWN");
        assertEquals(503, down.statusCode(), down.body());
        assertEquals("3", down.headers().firstValue("Retry-After").orElse(null));
        assertTrue(down.body().contains("upstream_unavailable"), down.body());
        assertErrorBodyClean(down.body());

        // a token endpoint that answers after the type's 1 s timeout (a real HTTP server on loopback)
        com.sun.net.httpserver.HttpServer slowServer = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        slowServer.createContext("/token", exchange -> {
            try {
                Thread.sleep(3000);
                byte[] body = "{\"access_token\":\"late-access-token\",\"expires_in\":60}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (InterruptedException | IOException e) {
                // the client gave up
            } finally {
                exchange.close();
            }
        });
        slowServer.start();
        try {
            store("SLOW", "http://127.0.0.1:" + slowServer.getAddress().getPort() + "/token", "slow-refresh-token-gggg-7777");
            HttpResponse<String> slow = rawRead("SLOW");
            assertEquals(503, slow.statusCode(), slow.body());
            assertEquals("3", slow.headers().firstValue("Retry-After").orElse(null));
            assertFalse(slow.body().contains("late-access-token"));
        } finally {
            slowServer.stop(0);
        }
    }

    /**
     * The documented decision for a lost answer: the server rotated the refresh token but its answer came
     * after the vault's 1 s timeout. The read answers 503 without retrying; the next read retries once with
     * the stored (now rotated-away) token, the server (no reuse grace period) says invalid_grant, and the
     * secret needs reauthorization: visible and audited, never a loop of reused tokens.
     */
    @Test
    void aLostAnswerAfterRotationEndsInReauthorizationNotALoop() throws Exception {
        java.util.concurrent.atomic.AtomicInteger forwarded = new java.util.concurrent.atomic.AtomicInteger();
        HttpClient upstream = HttpClient.newHttpClient();
        com.sun.net.httpserver.HttpServer proxy = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/token", exchange -> {
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(tokenUrl()))
                        .header("Content-Type", exchange.getRequestHeaders().getFirst("Content-Type"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                if (auth != null) {
                    request.header("Authorization", auth);
                }
                HttpResponse<byte[]> answer = upstream.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                if (forwarded.incrementAndGet() == 1) {
                    Thread.sleep(2500); // the server has rotated; its answer is lost to the vault's timeout
                }
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(answer.statusCode(), answer.body().length);
                exchange.getResponseBody().write(answer.body());
            } catch (InterruptedException | IOException e) {
                // the vault gave up on this answer
            } finally {
                exchange.close();
            }
        });
        proxy.start();
        try {
            store("LOST", "http://127.0.0.1:" + proxy.getAddress().getPort() + "/token", issuedRefreshToken());
            Response lost = read("LOST");
            assertEquals(503, lost.status(), lost.body());
            assertEquals("upstream_unavailable", lost.code());
            assertEquals(1, forwarded.get(), "no retry inside the read");
            assertEquals(1, vault.get("/v1/vault/secrets/agent_1/LOST?form=stored", OWNER).json().get("version").asInt(),
                    "nothing stored from a lost answer");
            Thread.sleep(2000); // Retry-After is 3 s; the proxy has finished its slow answer by now
            Response retried = read("LOST");
            assertEquals(409, retried.status(), retried.body());
            assertEquals("reauthorization_required", retried.code());
            assertEquals(2, forwarded.get(), "one retry with the stored token");
            assertEquals("reauthorization_required", read("LOST").code());
            assertEquals(2, forwarded.get(), "no further calls with a dead token");
        } finally {
            proxy.stop(0);
            tokenRequests();
        }
    }

    @Test
    void createRefusesPlainHttpToHostsNotAllowListedAndMalformedGrants() {
        Response http = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "PLAIN", "type", "oauth_refresh", "value",
                grant("http://auth.example.com/token", "plain-http-refresh-token-hhhh", "client_secret_basic"))));
        assertEquals(422, http.status(), http.body());
        assertTrue(http.body().contains("https"), http.body());
        assertErrorBodyClean(http.body());
        Response missing = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                "key", "BAD", "type", "oauth_refresh", "value", "{\"tokenUrl\":\"https://auth.example.com/t\","
                        + "\"clientId\":\"x\",\"clientSecret\":\"bad-grant-secret-iiii\"}")));
        assertEquals(422, missing.status(), missing.body());
        assertTrue(missing.body().contains("refreshToken"), missing.body());
        assertFalse(missing.body().contains("bad-grant-secret-iiii"), missing.body());
    }

    private HttpResponse<String> rawRead(String key) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                vault.uri("/v1/vault/secrets/agent_1/" + key)).header("Authorization", "Bearer " + agentToken).build(),
                HttpResponse.BodyHandlers.ofString());
        return r;
    }

    private void assertErrorBodyClean(String body) {
        for (String s : secretsSeen) {
            assertFalse(body.contains(s), "an error body contains a refresh token, client secret or access token");
        }
    }

    /** Audit files, database files, logs: none holds a refresh token, client secret or access token. */
    private void assertNoSecretAnywhere() throws IOException {
        assertTrue(secretsSeen.size() > 10, "the tests collected the secrets to look for");
        for (Path file : vault.dataFiles()) {
            String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
            for (String s : secretsSeen) {
                assertFalse(content.contains(s), file.getFileName() + " contains a refresh token, client secret or "
                        + "access token");
            }
        }
        String logs = String.join("\n", logLines);
        assertFalse(logLines.isEmpty(), "logs were captured");
        for (String s : secretsSeen) {
            assertFalse(logs.contains(s), "the logs contain a refresh token, client secret or access token");
        }
    }
}
