package dev.animavault.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retries, timeouts and error mapping against a loopback HTTP server answering what a loaded vault
 * answers (429/503 with Retry-After) or nothing at all. The SDK against the real packaged server is
 * JavaSdkIT in the distribution module.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportTest {
    private static final String SECRET_METADATA = "{\"organizationId\":\"default\",\"identityId\":\"a\",\"key\":\"K\","
            + "\"type\":\"password\",\"version\":1,\"metadata\":{},\"createdAt\":\"2026-01-01T00:00:00Z\","
            + "\"updatedAt\":\"2026-01-01T00:00:00Z\"}";
    private static final String IDENTITY = "{\"id\":\"a\",\"organizationId\":\"default\",\"name\":\"a\",\"metadata\":{},"
            + "\"disabled\":false,\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"}";

    private HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    record Seen(String method, String uri, String authorization, String body, long atNanos) {
    }

    record Reply(int status, String body, Map<String, String> headers) {
        static Reply problem(int status, String code, Map<String, String> headers) {
            return new Reply(status, "{\"type\":\"https://animavault.dev/problems/" + code + "\",\"title\":\"t\",\"status\":"
                    + status + ",\"detail\":\"because " + code + "\",\"code\":\"" + code + "\",\"requestId\":\"rid-1\"}",
                    headers);
        }
    }

    /** Answers the n-th request with replies[min(n, last)]; a null reply never answers. */
    private Anima.Builder serve(Reply... replies) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger n = new AtomicInteger();
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders().getFirst("Authorization"), body, System.nanoTime()));
            Reply reply = replies[Math.min(n.getAndIncrement(), replies.length - 1)];
            if (reply == null) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.getResponseHeaders().add("Content-Type", reply.status() >= 400 ? "application/problem+json"
                    : "application/json");
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        return Anima.builder().apiKey("avk_test").baseUrl("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void getIsRetriedAfter429AndWaitsTheRetryAfterSeconds() throws IOException {
        Anima am = serve(Reply.problem(429, "rate_limited", Map.of("Retry-After", "1")),
                new Reply(200, IDENTITY, Map.of())).build();
        assertEquals("a", am.identities().get("a").id());
        assertEquals(2, seen.size());
        long waitedMs = (seen.get(1).atNanos() - seen.get(0).atNanos()) / 1_000_000;
        assertTrue(waitedMs >= 900, "waited " + waitedMs + " ms; Retry-After said 1 s");
        assertEquals("Bearer avk_test", seen.get(0).authorization());
    }

    @Test
    void unavailableIsRetriedUpToMaxRetriesThenThrownWithItsCode() throws IOException {
        Anima am = serve(Reply.problem(503, "storage_unavailable", Map.of())).maxRetries(2)
                .retryBaseDelay(Duration.ofMillis(5)).build();
        AnimaException.ServerError e = assertThrows(AnimaException.ServerError.class,
                () -> am.vault().secrets().get("a", "K"));
        assertEquals(503, e.status());
        assertEquals("storage_unavailable", e.code());
        assertEquals("rid-1", e.requestId().orElseThrow());
        assertEquals("because storage_unavailable", e.detail().orElseThrow());
        assertEquals(3, seen.size());
    }

    @Test
    void nonIdempotentCallsAreNeverRetried() throws IOException {
        Anima am = serve(Reply.problem(429, "rate_limited", Map.of("Retry-After", "0"))).build();
        assertThrows(AnimaException.RateLimited.class,
                () -> am.vault().secrets().create(NewSecret.of("a", "K", "v", "api_key")));
        assertThrows(AnimaException.RateLimited.class, () -> am.vault().secrets().put("a", "K", SecretUpdate.of("v")));
        assertThrows(AnimaException.RateLimited.class, () -> am.identities().create("a"));
        assertThrows(AnimaException.RateLimited.class, () -> am.identities().tokens().issue("a"));
        assertEquals(List.of("POST", "PUT", "POST", "POST"), seen.stream().map(Seen::method).toList());
        assertEquals(json("{\"identityId\":\"a\",\"key\":\"K\",\"value\":\"v\",\"type\":\"api_key\",\"metadata\":{}}"),
                json(seen.get(0).body()));
    }

    @Test
    void noAnswerWithinTheTimeoutIsATimeout() throws IOException {
        Anima am = serve((Reply) null).timeout(Duration.ofMillis(300)).maxRetries(0).build();
        AnimaException e = assertThrows(AnimaException.Timeout.class, () -> am.identities().get("a"));
        assertEquals("timeout", e.code());
        assertEquals(0, e.status());
    }

    @Test
    void nonJsonErrorBodyStillGivesTheStatus() throws IOException {
        Anima am = serve(new Reply(502, "<html>bad gateway</html>", Map.of())).build();
        AnimaException e = assertThrows(AnimaException.ServerError.class, () -> am.identities().get("a"));
        assertEquals(502, e.status());
        assertEquals("http_502", e.code());
    }

    @Test
    void anOAuthReadCarriesItsTypeFieldsBesideTheMaskedAccessToken() throws IOException {
        Anima am = serve(new Reply(200, "{\"organizationId\":\"default\",\"identityId\":\"a\",\"key\":\"GH\","
                + "\"type\":\"oauth_refresh\",\"version\":1,\"currentVersion\":1,\"value\":\"gho_live_1\","
                + "\"metadata\":{},\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\","
                + "\"tokenType\":\"Bearer\",\"expiresAt\":\"2026-01-01T01:00:00Z\",\"scope\":\"repo\"}", Map.of()))
                .build();
        Secret s = am.vault().secrets().get("a", "GH");
        assertEquals("gho_live_1", s.value().reveal());
        assertEquals(Map.of("tokenType", "Bearer", "expiresAt", "2026-01-01T01:00:00Z", "scope", "repo"), s.fields());
        assertEquals(java.time.Instant.parse("2026-01-01T01:00:00Z"), s.expiresAt().orElseThrow());
        assertFalse(s.toString().contains("gho_live_1"), s.toString());
    }

    @Test
    void rotationCallsUseTheirRoutesAndChangesAreNotRetried() throws IOException {
        Anima am = serve(new Reply(200, SECRET_METADATA, Map.of()),
                Reply.problem(503, "storage_unavailable", Map.of("Retry-After", "0")),
                new Reply(200, "{\"items\":[{\"webhookId\":\"rot_1\",\"event\":\"secret.rotation.due\",\"attempt\":1,"
                        + "\"at\":\"2026-01-01T00:00:00Z\",\"status\":500,\"error\":\"HTTP 500\",\"durationMs\":12,"
                        + "\"url\":\"https://r.example/rotate\"}]}", Map.of())).build();
        am.vault().secrets().setRotation("a", "K", RotationPolicy.of("30d", "https://r.example/rotate")
                .withGracePeriod("2h"));
        assertThrows(AnimaException.class, () -> am.vault().secrets().rotate("a", "K"));
        List<RotationDelivery> d = am.vault().secrets().deliveries("a", "K");
        assertEquals(List.of("PATCH /v1/vault/secrets/a/K/rotation", "POST /v1/vault/secrets/a/K/rotate",
                "GET /v1/vault/secrets/a/K/rotation/deliveries"), seen.stream().map(x -> x.method() + " " + x.uri()).toList(),
                "the 503 of the manual rotation was not retried");
        assertTrue(seen.get(0).body().contains("\"gracePeriod\":\"2h\""), seen.get(0).body());
        assertEquals(new RotationDelivery("rot_1", "secret.rotation.due", 1, java.time.Instant.parse("2026-01-01T00:00:00Z"),
                500, "HTTP 500", 12, "https://r.example/rotate"), d.get(0));
    }

    @Test
    void retiredVersionsIsSentAndItsStateRead() throws IOException {
        String withRotation = SECRET_METADATA.substring(0, SECRET_METADATA.length() - 1)
                + ",\"rotation\":{\"interval\":\"PT720H\",\"webhookUrl\":\"https://r.example/rotate\",\"status\":\"ok\","
                + "\"retiredVersions\":\"destroy\",\"destroyedBelow\":2}}";
        Anima am = serve(new Reply(200, withRotation, Map.of()), new Reply(200, SECRET_METADATA.substring(0,
                SECRET_METADATA.length() - 1) + ",\"rotation\":{\"interval\":\"PT720H\",\"status\":\"ok\"}}",
                Map.of())).build();
        SecretMetadata m = am.vault().secrets().setRotation("a", "K", RotationPolicy.of("30d",
                "https://r.example/rotate").withRetiredVersions(RotationPolicy.DESTROY));
        assertTrue(seen.get(0).body().contains("\"retiredVersions\":\"destroy\""), seen.get(0).body());
        RotationState r = m.rotation().orElseThrow();
        assertEquals("destroy", r.retiredVersions());
        assertEquals(2, r.destroyedBelow());
        SecretMetadata plain = am.vault().secrets().setRotation("a", "K", RotationPolicy.of("30d",
                "https://r.example/rotate"));
        assertFalse(seen.get(1).body().contains("retiredVersions"), "the vault's default when not given");
        assertEquals(null, plain.rotation().orElseThrow().retiredVersions());
        assertEquals(null, plain.rotation().orElseThrow().destroyedBelow(), "nothing destroyed");
    }

    @Test
    void queryAndPathAreEncoded() throws IOException {
        Anima am = serve(new Reply(200, "{\"items\":[" + IDENTITY + "],\"nextCursor\":\"c2\"}", Map.of())).build();
        Page<Identity> page = am.identities().list(5, "c 1+");
        assertEquals(1, page.size());
        assertEquals("c2", page.nextCursor().orElseThrow());
        assertEquals("/v1/identities?limit=5&cursor=c+1%2B", seen.get(0).uri());
    }

    @Test
    void listAllFollowsTheCursorLazily() throws IOException {
        String second = IDENTITY.replace("\"id\":\"a\"", "\"id\":\"b\"");
        Anima am = serve(new Reply(200, "{\"items\":[" + IDENTITY + "],\"nextCursor\":\"c2\"}", Map.of()),
                new Reply(200, "{\"items\":[],\"nextCursor\":\"c3\"}", Map.of()),
                new Reply(200, "{\"items\":[" + second + "],\"nextCursor\":null}", Map.of())).build();
        assertEquals("a", am.identities().listAll(1).findFirst().orElseThrow().id());
        assertEquals(1, seen.size(), "only the first page was needed");
        seen.clear();
        assertEquals(List.of("b"), am.identities().listAll(1).map(Identity::id).toList(), "the server's next answers");
        assertEquals(List.of("/v1/identities?limit=1", "/v1/identities?limit=1&cursor=c3"),
                seen.stream().map(Seen::uri).toList());
    }

    @Test
    void retryAfterAsSecondsOrHttpDate() {
        assertEquals(Duration.ofSeconds(3), Transport.retryAfter("3"));
        assertEquals(Duration.ZERO, Transport.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
        assertEquals(null, Transport.retryAfter("soon"));
    }

    @Test
    void secretValuesAndTokensAreMaskedInToString() {
        Secret s = new Secret("o", "a", "K", "api_key", 1, 1, SecretValue.of("sk-very-secret"), Map.of(), null, null);
        assertFalse(s.toString().contains("sk-very-secret"), s.toString());
        assertTrue(s.toString().contains("********"));
        assertEquals("sk-very-secret", s.value().reveal());
        assertFalse(NewSecret.of("a", "K", "sk-very-secret", "api_key").toString().contains("sk-very"));
        assertFalse(SecretUpdate.of("sk-very-secret").toString().contains("sk-very"));
        IssuedToken t = new IssuedToken("t1", SecretValue.of("avt_abc"), "a", "o", "", List.of(), null,
                java.util.Optional.empty());
        assertFalse(t.toString().contains("avt_abc"), t.toString());
    }

    @Test
    void missingApiKeyIsRefusedUnlessOnlyHealthIsWanted() {
        // ANIMA_VAULT_TOKEN is not set in the test JVM (failsafe/surefire inherit the shell; CI sets none)
        if (System.getenv("ANIMA_VAULT_TOKEN") == null) {
            assertThrows(IllegalArgumentException.class, () -> new Anima(null));
        }
        assertThrows(IllegalArgumentException.class, () -> Anima.builder().apiKey("k").baseUrl("ftp://x").build());
        assertEquals("http://127.0.0.1:8200", Anima.builder().withoutApiKey().baseUrl("http://127.0.0.1:8200/").build()
                .baseUri().toString());
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String json) {
        try {
            return Transport.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
