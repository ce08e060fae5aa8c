package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * The Bitwarden/Vaultwarden HTTP API as this backend uses it: the API-key login
 * ({@code client_credentials}), a cached access token renewed before it expires, one re-login after a
 * 401, and bounded back-off on 429 that honours {@code Retry-After}. Thread-safe.
 *
 * <p>Failures map to {@link VaultException}s: unreachable server or 5xx -> {@code STORAGE_UNAVAILABLE};
 * 429 after the retries -> {@code RATE_LIMITED}; other 4xx answers are returned to the caller to interpret.
 * Messages name the URL path and status, never tokens, keys or the client secret.
 */
final class VaultwardenApi {
    /** The client version Vaultwarden expects (it hides some item types from older clients). */
    static final String CLIENT_VERSION = "2026.8.0";
    /** Bitwarden's device type for the CLI on Linux (25 = "LinuxCLI"). */
    static final String DEVICE_TYPE = "25";
    private static final int MAX_RATE_LIMIT_RETRIES = 4;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(250);

    /** The account API key was refused at the token endpoint. */
    static final class LoginRejectedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LoginRejectedException(String message) {
            super(message);
        }
    }

    /** An HTTP answer: status and parsed JSON body (null when empty or not JSON). */
    record Response(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /**
         * Whether the answer to a call on {@code /ciphers/{id}} says the item is not there for this
         * account: Bitwarden's server answers 404 ("Resource not found."), Vaultwarden 400 with "Cipher
         * doesn't exist" (deleted for good) or "Cipher is not owned by user" (no longer in a collection
         * this account can see). Both are "gone" to the backend, not a storage failure.
         */
        boolean cipherGone() {
            if (status == 404) {
                return true;
            }
            if (status != 400) {
                return false;
            }
            String m = message().toLowerCase(java.util.Locale.ROOT);
            return m.contains("cipher doesn't exist") || m.contains("cipher is not owned by user");
        }

        /** The error message Bitwarden servers put in error bodies, or a generic one. */
        String message() {
            // older Vaultwarden versions leave "Message" empty and put the text in "ErrorModel"
            for (String m : new String[] {Json.text(body, "message"), Json.text(Json.get(body, "errorModel"), "message"),
                    Json.text(body, "error_description"), Json.text(body, "error")}) {
                if (m != null && !m.isBlank()) {
                    return m;
                }
            }
            return "HTTP " + status;
        }
    }

    private record Token(String accessToken, Instant renewAt, JsonNode grant) {
    }

    private final URI base;
    private final OutboundHttpClient http;
    private final Duration requestTimeout;
    private final Clock clock;
    private final String clientId;
    private final String clientSecret;
    private final String deviceIdentifier;
    // a ReentrantLock, not a monitor: the login does network I/O and back-off sleeps, which must not pin
    // virtual-thread carriers
    private final java.util.concurrent.locks.ReentrantLock tokenLock = new java.util.concurrent.locks.ReentrantLock();
    private volatile Token token;
    private volatile boolean closed;

    VaultwardenApi(URI base, OutboundHttpClient http, Duration requestTimeout, Clock clock, String clientId,
                   String clientSecret, String deviceIdentifier) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.http = Objects.requireNonNull(http, "http is null");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.clientId = Objects.requireNonNull(clientId, "clientId is null");
        this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret is null");
        this.deviceIdentifier = Objects.requireNonNull(deviceIdentifier, "deviceIdentifier is null");
    }

    /**
     * Logs in with the API key and returns the token endpoint's answer (with {@code Key},
     * {@code PrivateKey} and the KDF settings). The access token is cached for later calls.
     *
     * @throws LoginRejectedException when the server refuses the API key
     */
    JsonNode login() {
        tokenLock.lock();
        try {
            Token t = fetchToken();
            token = t;
            return t.grant();
        } finally {
            tokenLock.unlock();
        }
    }

    /** Forgets the cached token so the next call logs in again (tests use it to simulate expiry). */
    void invalidateToken() {
        token = null;
    }

    /** The prelogin answer (KDF settings) for an email. */
    JsonNode prelogin(String email) {
        byte[] body = Json.bytes(Json.object().put("email", email));
        Response r = sendWithBackoff(() -> jsonRequest("POST", "/identity/accounts/prelogin", body, null));
        if (!r.ok()) {
            throw unavailable("prelogin answered " + r.status(), null);
        }
        return r.body();
    }

    /** An authenticated API call; {@code path} is below {@code {base}/api}. */
    Response call(String method, String path, JsonNode body) {
        byte[] bytes = body == null ? null : Json.bytes(body);
        String apiPath = "/api" + path;
        Response r = sendWithBackoff(() -> jsonRequest(method, apiPath, bytes, accessToken()));
        if (r.status() == 401) {
            // Expired or revoked token (or a changed security stamp): log in again, once.
            tokenLock.lock();
            try {
                token = null;
            } finally {
                tokenLock.unlock();
            }
            r = sendWithBackoff(() -> jsonRequest(method, apiPath, bytes, accessToken()));
            if (r.status() == 401) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE,
                        "Vaultwarden refused the freshly issued access token for " + method + " " + apiPath);
            }
        }
        if (r.status() >= 500) {
            throw unavailable(method + " " + apiPath + " answered " + r.status(), null);
        }
        return r;
    }

    void close() {
        closed = true;
        token = null;
    }

    private String accessToken() {
        Token t = token;
        if (t != null && clock.instant().isBefore(t.renewAt())) {
            return t.accessToken();
        }
        tokenLock.lock();
        try {
            t = token;
            if (t == null || !clock.instant().isBefore(t.renewAt())) {
                try {
                    t = fetchToken();
                } catch (LoginRejectedException e) {
                    throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, e.getMessage());
                }
                token = t;
            }
            return t.accessToken();
        } finally {
            tokenLock.unlock();
        }
    }

    private Token fetchToken() {
        if (closed) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the Vaultwarden backend is closed");
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("scope", "api");
        form.put("client_id", clientId);
        form.put("client_secret", clientSecret);
        form.put("deviceType", DEVICE_TYPE);
        form.put("deviceIdentifier", deviceIdentifier);
        form.put("deviceName", "anima-vault");
        String encoded = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        Instant started = clock.instant();
        Response r = sendWithBackoff(() -> request("/identity/connect/token")
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(encoded)).build());
        if (r.status() == 400 || r.status() == 401) {
            throw new LoginRejectedException("Vaultwarden refused the API key login (client-id/client-secret): "
                    + r.message());
        }
        if (!r.ok()) {
            throw unavailable("token endpoint answered " + r.status(), null);
        }
        String access = Json.text(r.body(), "access_token");
        if (access == null) {
            throw unavailable("token endpoint answered without an access_token", null);
        }
        long expiresIn = Math.max(1, Json.integer(r.body(), "expires_in", 3600));
        // Renew at 90% of the lifetime, and at least a minute early when the lifetime allows it.
        long margin = Math.min(Math.max(expiresIn / 10, Math.min(60, expiresIn / 2)), expiresIn);
        return new Token(access, started.plusSeconds(expiresIn - margin), r.body());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(base.getPath() + path))
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .header("Bitwarden-Client-Name", "cli")
                .header("Bitwarden-Client-Version", CLIENT_VERSION)
                .header("Device-Type", DEVICE_TYPE);
    }

    private HttpRequest jsonRequest(String method, String path, byte[] body, String bearer) {
        HttpRequest.Builder b = request(path);
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json; charset=utf-8");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private interface RequestSupplier {
        HttpRequest get();
    }

    private Response sendWithBackoff(RequestSupplier supplier) {
        Duration backoff = INITIAL_BACKOFF;
        for (int attempt = 0; ; attempt++) {
            HttpRequest req = supplier.get();
            HttpResponse<byte[]> resp;
            try {
                resp = http.send(req);
            } catch (IOException e) {
                throw unavailable("cannot reach Vaultwarden at " + base + " (" + req.method() + " "
                        + req.uri().getPath() + ": " + e.getClass().getSimpleName() + ")", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("interrupted while calling Vaultwarden", e);
            }
            if (resp.statusCode() != 429) {
                return new Response(resp.statusCode(), parse(resp.body()));
            }
            if (attempt >= MAX_RATE_LIMIT_RETRIES) {
                throw new VaultException(ErrorCode.RATE_LIMITED, "Vaultwarden kept answering 429 to "
                        + req.method() + " " + req.uri().getPath() + " after " + attempt + " retries");
            }
            Duration wait = retryAfter(resp).orElse(backoff);
            if (wait.compareTo(MAX_BACKOFF) > 0) {
                wait = MAX_BACKOFF;
            }
            long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, wait.toMillis() / 5));
            try {
                Thread.sleep(wait.toMillis() + jitter);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable("interrupted while backing off from Vaultwarden's rate limit", e);
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    private static Optional<Duration> retryAfter(HttpResponse<byte[]> resp) {
        return resp.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v.trim()))));
            } catch (NumberFormatException e) {
                return Optional.empty(); // HTTP-date form: fall back to exponential back-off
            }
        });
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return Json.parse(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static VaultException unavailable(String message, Throwable cause) {
        return cause == null ? new VaultException(ErrorCode.STORAGE_UNAVAILABLE, message)
                : new VaultException(ErrorCode.STORAGE_UNAVAILABLE, message, cause);
    }
}
