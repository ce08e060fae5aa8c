package dev.animavault.core.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two vault nodes on one PostgreSQL database read the same {@code oauth_refresh} secret concurrently: one
 * refresh per expiry between them, both hand out valid tokens, rotation loses nothing. The nodes run in
 * this JVM but share nothing except the database (each has its own storage pools, caches, single-flight
 * map and plugin class loaders), which is what the cross-process claim has to cover.
 *
 * <p>Needs {@code ANIMA_TEST_PG_URL}, {@code ANIMA_TEST_PG_USER}, {@code ANIMA_TEST_PG_PASSWORD} (environment
 * or system properties; {@code eval "$(scripts/postgres.sh env)"}); skipped without them. Uses its own
 * schema, dropped afterwards.
 */
class OAuthRefreshTwoNodesTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int TOKEN_SECONDS = 4;

    @TempDir
    Path tmp;

    private static String setting(String name) {
        String v = System.getenv(name);
        return v != null && !v.isBlank() ? v : System.getProperty(name);
    }

    @Test
    void oneRefreshPerExpiryAcrossTwoNodes() throws Exception {
        String url = setting("ANIMA_TEST_PG_URL");
        Assumptions.assumeTrue(url != null, "no PostgreSQL: set ANIMA_TEST_PG_URL (eval \"$(scripts/postgres.sh env)\")");
        String user = setting("ANIMA_TEST_PG_USER");
        String password = setting("ANIMA_TEST_PG_PASSWORD");
        String schema = "i12_oauth_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = connect(url, user, password); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        MockOAuth2Server oauth = new MockOAuth2Server(new OAuth2Config(false, null, null, true, new OAuth2TokenProvider(),
                Set.of(new DefaultOAuth2TokenCallback("default", "agent", "JWT", List.of("api"), Map.of(), TOKEN_SECONDS))));
        oauth.start(InetAddress.getLoopbackAddress(), 0);
        ProviderSpec storage = new ProviderSpec("jdbc", Map.of("url", url + (url.contains("?") ? "&" : "?")
                + "currentSchema=" + schema, "username", user, "password", password));
        List<ProviderSpec> types = List.of(ProviderSpec.of("api_key"), ProviderSpec.of("oauth_refresh"));
        try (TestVault a = TestVault.start(tmp.resolve("a"), b -> b.storage(storage).credentialTypeSpecs(types)
                .egressAllow(List.of("127.0.0.1")))) {
            Path keyB = tmp.resolve("b").resolve("data").resolve("root.key");
            Files.createDirectories(keyB.getParent());
            Files.copy(a.dataDir().resolve("root.key"), keyB, StandardCopyOption.COPY_ATTRIBUTES);
            try (TestVault b = TestVault.start(tmp.resolve("b"), x -> x.storage(storage).credentialTypeSpecs(types)
                    .egressAllow(List.of("127.0.0.1")))) {
                assertEquals(201, a.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
                String agent = a.post("/v1/identities/agent_1/tokens", OWNER, "{}").json().get("token").asText();
                String grant = TestVault.json(Map.of("tokenUrl", oauth.tokenEndpointUrl("default").toString(),
                        "clientId", "agent-client", "clientSecret", "two-node-client-secret",
                        "refreshToken", issuedRefreshToken(oauth)));
                Response created = a.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "SHARED", "type", "oauth_refresh", "value", grant)));
                assertEquals(201, created.status(), created.body());
                drain(oauth);

                Set<String> previous = new HashSet<>();
                int refreshed = 0;
                long freshMillis = TOKEN_SECONDS * 1000L / 2; // a token is handed out until 2 s before expiry
                for (int round = 0; round < 3; round++) {
                    long t0 = System.nanoTime();
                    Set<String> tokens = concurrentReads(a, b, agent);
                    long millis = (System.nanoTime() - t0) / 1_000_000;
                    int refreshes = drain(oauth);
                    assertFalse(previous.containsAll(tokens), "round " + round + ": a fresh token");
                    previous.addAll(tokens);
                    if (millis < freshMillis) {
                        assertEquals(1, tokens.size(), "round " + round + ": both nodes hand out the one refreshed token");
                        assertEquals(1, refreshes, "round " + round + ": one refresh between two nodes");
                    } else {
                        // the reads outlasted the new token's fresh window (a loaded machine): later reads rightly
                        // refreshed again; still no refresh wasted and none per node
                        System.out.println("OAuthRefreshTwoNodesTest: round " + round + " took " + millis + " ms, "
                                + refreshes + " refreshes");
                        assertEquals(refreshes, tokens.size(), "round " + round + ": every refresh handed out, no other");
                        assertTrue(refreshes <= 1 + millis / freshMillis, "round " + round + ": " + refreshes
                                + " refreshes in " + millis + " ms");
                    }
                    refreshed += refreshes;
                    int version = a.get("/v1/vault/secrets/agent_1/SHARED?form=stored", OWNER).json().get("version").asInt();
                    assertEquals(1 + refreshed, version, "round " + round + ": each refresh is one new version");
                    Thread.sleep(TOKEN_SECONDS * 1000L / 2 + 300);
                }
            }
        } finally {
            oauth.shutdown();
            try (Connection c = connect(url, user, password); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /**
     * The test's own driver, not DriverManager: an earlier test in this JVM may have initialized
     * DriverManager from a plugin class loader, whose driver copy this class may not use.
     */
    private static Connection connect(String url, String user, String password) throws java.sql.SQLException {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return new org.postgresql.Driver().connect(url, p);
    }

    /** 20 reads on each node at once; every one succeeds; the distinct tokens they got. */
    private static Set<String> concurrentReads(TestVault a, TestVault b, String agent) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(40);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Response>> reads = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                TestVault node = i % 2 == 0 ? a : b;
                reads.add(pool.submit(() -> {
                    go.await();
                    return node.get("/v1/vault/secrets/agent_1/SHARED", agent);
                }));
            }
            go.countDown();
            Set<String> tokens = new HashSet<>();
            for (Future<Response> f : reads) {
                Response r = f.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.status(), r.body());
                tokens.add(r.json().get("value").asText());
            }
            return tokens;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int drain(MockOAuth2Server oauth) {
        int n = 0;
        while (true) {
            try {
                oauth.takeRequest(300, TimeUnit.MILLISECONDS);
                n++;
            } catch (RuntimeException none) {
                return n;
            }
        }
    }

    private static String issuedRefreshToken(MockOAuth2Server oauth) throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String redirectUri = URLEncoder.encode("http://127.0.0.1/callback", StandardCharsets.UTF_8);
        HttpResponse<String> redirect = http.send(HttpRequest.newBuilder(URI.create(oauth.authorizationEndpointUrl("default")
                + "?response_type=code&client_id=agent-client&redirect_uri=" + redirectUri + "&scope=openid&state=s&nonce=n"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String code = redirect.headers().firstValue("Location").orElseThrow().replaceAll(".*[?&]code=([^&]+).*", "$1");
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(oauth.tokenEndpointUrl("default").toString()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code=" + code + "&redirect_uri="
                        + redirectUri + "&client_id=agent-client&client_secret=two-node-client-secret")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(token.statusCode() == 200, token.body());
        return TestVault.JSON.readTree(token.body()).get("refresh_token").asText();
    }
}
