package dev.animavault.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Sends calls: bearer authentication, JSON, per-request timeout, retries with backoff on 429/503 for
 * idempotent calls (honouring {@code Retry-After}), problem+json to {@link AnimaException}. Thread-safe.
 */
final class Transport {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient http;
    private final URI baseUri;
    private final String authorization;
    private final Duration timeout;
    private final int maxRetries;
    private final Duration retryBaseDelay;
    private final Duration maxRetryDelay;
    private final String userAgent;
    private final java.util.function.Supplier<String> requestIds;

    Transport(HttpClient http, URI baseUri, String apiKey, Duration timeout, int maxRetries, Duration retryBaseDelay,
              Duration maxRetryDelay, java.util.function.Supplier<String> requestIds) {
        this.requestIds = requestIds;
        this.http = http;
        this.baseUri = baseUri;
        this.authorization = apiKey == null ? null : "Bearer " + apiKey;
        this.timeout = timeout;
        this.maxRetries = maxRetries;
        this.retryBaseDelay = retryBaseDelay;
        this.maxRetryDelay = maxRetryDelay;
        String v = Transport.class.getPackage().getImplementationVersion();
        this.userAgent = "anima-vault-client-java/" + (v == null ? "dev" : v);
    }

    URI baseUri() {
        return baseUri;
    }

    /** One call: method, path (segments already encoded with {@link #seg}), query, JSON body. */
    static final class Call {
        final String method;
        final String path;
        final Map<String, String> query = new LinkedHashMap<>();
        Object body;
        boolean idempotent;
        boolean authenticated = true;

        Call(String method, String path) {
            this.method = method;
            this.path = path;
            this.idempotent = method.equals("GET") || method.equals("DELETE");
        }

        Call query(String name, Object value) {
            if (value != null) {
                query.put(name, String.valueOf(value));
            }
            return this;
        }

        Call body(Object body) {
            this.body = body;
            return this;
        }

        Call idempotent(boolean idempotent) {
            this.idempotent = idempotent;
            return this;
        }

        Call anonymous() {
            this.authenticated = false;
            return this;
        }
    }

    static Call get(String path) {
        return new Call("GET", path);
    }

    static Call post(String path) {
        return new Call("POST", path);
    }

    static Call put(String path) {
        return new Call("PUT", path);
    }

    static Call delete(String path) {
        return new Call("DELETE", path);
    }

    static Call patch(String path) {
        return new Call("PATCH", path);
    }

    /** Encodes one path segment. */
    static String seg(String value) {
        Objects.requireNonNull(value, "path parameter is null");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("a path parameter must not be empty");
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Sends the call and maps the JSON response (null node for 204). */
    <T> T send(Call call, Function<JsonNode, T> mapper) {
        HttpResponse<byte[]> response = exchange(call);
        try {
            JsonNode node = response.statusCode() == 204 || response.body().length == 0 ? null
                    : MAPPER.readTree(response.body());
            return mapper.apply(node);
        } catch (IOException | RuntimeException e) {
            if (e instanceof AnimaException ae) {
                throw ae;
            }
            throw new AnimaException.UnexpectedResponse(response.statusCode(), call.method + " " + call.path
                    + " returned a body that is not the documented JSON: " + e.getMessage(), e);
        }
    }

    void send(Call call) {
        exchange(call);
    }

    /** Sends the call and returns the response body as it came (reports in CSV or HTML). */
    byte[] sendForBytes(Call call) {
        return exchange(call).body();
    }

    private HttpResponse<byte[]> exchange(Call call) {
        HttpRequest request = request(call);
        int attempts = call.idempotent ? maxRetries + 1 : 1;
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (HttpTimeoutException e) {
                throw new AnimaException.Timeout(call.method + " " + call.path + " timed out after " + timeout, e);
            } catch (IOException e) {
                throw new AnimaException.Connection(call.method + " " + call.path + " could not reach " + baseUri
                        + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AnimaException.Connection(call.method + " " + call.path + " was interrupted", e);
            }
            int status = response.statusCode();
            if ((status == 429 || status == 503) && attempt < attempts) {
                sleep(delay(attempt, response.headers().firstValue("Retry-After").orElse(null)), call);
                continue;
            }
            if (status >= 400) {
                throw problem(call, response);
            }
            return response;
        }
    }

    private HttpRequest request(Call call) {
        StringBuilder uri = new StringBuilder(baseUri.toString()).append(call.path);
        char sep = '?';
        for (Map.Entry<String, String> q : call.query.entrySet()) {
            uri.append(sep).append(URLEncoder.encode(q.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(q.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri.toString()))
                .timeout(timeout)
                .header("Accept", "application/json, application/problem+json")
                .header("User-Agent", userAgent);
        if (requestIds != null) {
            String id = requestIds.get();
            if (id != null) {
                b.header("X-Request-Id", id);
            }
        }
        if (call.authenticated) {
            if (authorization == null) {
                throw new IllegalStateException("no API key: pass one to new Anima(apiKey) or set ANIMA_VAULT_TOKEN");
            }
            b.header("Authorization", authorization);
        }
        if (call.body != null) {
            byte[] json;
            try {
                json = MAPPER.writeValueAsBytes(call.body);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("request body cannot be written as JSON", e);
            }
            b.header("Content-Type", "application/json").method(call.method, HttpRequest.BodyPublishers.ofByteArray(json));
        } else {
            b.method(call.method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private Duration delay(int attempt, String retryAfter) {
        Duration fromServer = retryAfter(retryAfter);
        long backoff = retryBaseDelay.toMillis() << Math.min(attempt - 1, 20);
        long jittered = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        Duration wait = fromServer != null ? fromServer : Duration.ofMillis(jittered);
        return wait.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : wait;
    }

    /** {@code Retry-After} as seconds or an HTTP date; null if absent or unreadable. */
    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim();
        if (h.chars().allMatch(Character::isDigit) && h.length() < 10) {
            return Duration.ofSeconds(Long.parseLong(h));
        }
        try {
            Duration d = Duration.between(java.time.Instant.now(),
                    ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static void sleep(Duration d, Call call) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AnimaException.Connection(call.method + " " + call.path + " was interrupted while waiting to "
                    + "retry", e);
        }
    }

    private static AnimaException problem(Call call, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String requestId = response.headers().firstValue("X-Request-Id").orElse(null);
        String code = "http_" + status;
        String detail = null;
        try {
            JsonNode p = response.body().length == 0 ? null : MAPPER.readTree(response.body());
            if (p != null && p.isObject()) {
                code = p.path("code").isTextual() ? p.get("code").asText() : code;
                detail = p.path("detail").isTextual() ? p.get("detail").asText()
                        : p.path("title").isTextual() ? p.get("title").asText() : null;
                if (p.path("requestId").isTextual() && !p.get("requestId").asText().equals("-")) {
                    requestId = p.get("requestId").asText();
                }
            }
        } catch (IOException e) {
            // not JSON (a proxy's HTML page): the status alone
        }
        return AnimaException.of(status, code, detail, requestId, call.method, call.path);
    }
}
