package dev.animavault.plugin.credential.oauth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.OutboundHttpClient;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.MaterializationContext;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * The {@code oauth_refresh} credential type (see the {@linkplain dev.animavault.plugin.credential.oauth
 * package documentation}). Thread-safe: immutable settings and the context's HTTP client.
 *
 * <p><b>Refresh</b> (RFC 6749 section 6): {@code POST tokenUrl} with {@code grant_type=refresh_token},
 * {@code refresh_token} and, if stored, {@code scope}; the client authenticates with HTTP Basic
 * ({@code client_secret_basic}, id and secret form-url-encoded first as section 2.3.1 says) or in the body
 * ({@code client_secret_post}); a public client (no secret) sends {@code client_id} in the body. A
 * {@code refresh_token} in the answer that differs from the stored one is stored as a new version before
 * the access token is handed out (rotation), conditionally on the version refreshed from still being
 * current.
 *
 * <p><b>Failures</b>: {@code invalid_grant} means the refresh token is dead (revoked, expired, or reused
 * after rotation): {@code REAUTHORIZATION_REQUIRED}, which core remembers until a new version is stored.
 * No answer within {@code timeout}, a 5xx or a 429: {@code UPSTREAM_UNAVAILABLE} with a retry delay, never
 * an expired token. Other refusals: {@code UPSTREAM_ERROR}. Messages name the secret and the OAuth error
 * code, never a token, a secret or a response body.
 *
 * <p><b>A lost answer</b> (the request timed out or the connection broke after the server may have
 * rotated the refresh token): the type does not retry within the read; the read answers 503 and the next
 * read after the delay retries with the refresh token still stored. An authorization server with a reuse
 * grace period (Okta, Auth0 "leeway", Keycloak's refresh token max reuse) accepts that retry; one without
 * answers {@code invalid_grant} and the secret needs reauthorization, which is audited. The vault never
 * retries in a loop with a token the server may consider reused.
 */
public final class OAuthRefreshCredentialType implements CredentialType {
    private final PluginContext context;
    private final OutboundHttpClient http;
    private final int maxBytes;
    private final Duration skew;
    private final Duration timeout;
    private final Duration retryAfter;
    private final Duration defaultLifetime;

    /**
     * @param maxBytes        the largest stored value
     * @param skew            how long before {@code expiresAt} a cached access token is refreshed (at most half
     *                        its lifetime)
     * @param timeout         how long a token request may take
     * @param retryAfter      what 503 answers tell clients when the token endpoint is down or slow
     * @param defaultLifetime the lifetime assumed when the server sends no {@code expires_in}
     */
    public OAuthRefreshCredentialType(PluginContext context, int maxBytes, Duration skew, Duration timeout,
                                      Duration retryAfter, Duration defaultLifetime) {
        this.context = requireNonNull(context, "context is null");
        this.http = context.http();
        this.maxBytes = maxBytes;
        this.skew = requireNonNull(skew, "skew is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.retryAfter = requireNonNull(retryAfter, "retryAfter is null");
        this.defaultLifetime = requireNonNull(defaultLifetime, "defaultLifetime is null");
    }

    @Override
    public String id() {
        return OAuthRefreshCredentialTypeFactory.NAME;
    }

    @Override
    public int maxValueBytes() {
        return maxBytes;
    }

    @Override
    public void validate(SecretValue value) {
        requireNonNull(value, "value is null");
        if (value.length() > maxBytes) {
            throw new VaultException(ErrorCode.VALUE_TOO_LARGE, "oauth_refresh value is longer than " + maxBytes
                    + " bytes");
        }
        StoredGrant.parse(value, context::egressAllowListed);
    }

    @Override
    public SecretValue materialize(SecretValue stored, MaterializationContext ctx) {
        if (ctx.version() != ctx.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "only the current version of oauth_refresh secret "
                    + ctx.ref().key() + " gives access tokens (an organization key may read older versions with "
                    + "form=stored)");
        }
        MaterializationContext.Derived derived = ctx.derive(stored, current -> refresh(current, ctx));
        try {
            JsonNode token = StoredGrant.JSON.readTree(derived.value().bytes());
            ctx.responseField("tokenType", token.path("tokenType").asText("Bearer"));
            ctx.responseField("expiresAt", token.path("expiresAt").asText());
            if (token.hasNonNull("scope")) {
                ctx.responseField("scope", token.get("scope").asText());
            }
            return SecretValue.ofUtf8(token.path("accessToken").asText());
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "cached access token of secret " + ctx.ref().key()
                    + " is malformed");
        } finally {
            derived.value().wipe();
        }
    }

    /** One refresh against the token endpoint, from the given (current) stored value. */
    private MaterializationContext.Derived refresh(SecretValue current, MaterializationContext ctx) {
        StoredGrant grant = StoredGrant.parse(current, context::egressAllowListed);
        String key = ctx.ref().key();
        StringBuilder form = new StringBuilder("grant_type=refresh_token&refresh_token=").append(enc(grant.refreshToken()));
        grant.scope().ifPresent(s -> form.append("&scope=").append(enc(s)));
        HttpRequest.Builder request = HttpRequest.newBuilder(grant.tokenUrl())
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        if (grant.clientSecret().isPresent() && grant.clientAuth() == StoredGrant.ClientAuth.CLIENT_SECRET_BASIC) {
            String basic = enc(grant.clientId()) + ":" + enc(grant.clientSecret().get());
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    basic.getBytes(StandardCharsets.UTF_8)));
        } else {
            form.append("&client_id=").append(enc(grant.clientId()));
            grant.clientSecret().ifPresent(s -> form.append("&client_secret=").append(enc(s)));
        }
        Instant sentAt = ctx.clock().instant();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.POST(HttpRequest.BodyPublishers.ofString(form.toString())).build());
        } catch (IOException e) {
            // includes HttpTimeoutException; the cause may name the host, so it goes to the log, not the client
            throw new VaultException(ErrorCode.UPSTREAM_UNAVAILABLE, "the token endpoint of secret " + key
                    + " did not answer (" + e.getClass().getSimpleName() + ")", retryAfter, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.UPSTREAM_UNAVAILABLE, "interrupted while refreshing secret " + key,
                    retryAfter, null);
        }
        int status = response.statusCode();
        JsonNode body = parse(response.body());
        if (status == 200) {
            return accepted(body, grant, ctx, sentAt);
        }
        String error = body != null && body.path("error").isTextual() ? body.get("error").asText() : "";
        // only the RFC 6749 section 5.2 error code is repeated, and only when it is a plain token
        String code = error.matches("[a-z_]{1,40}") ? error : "";
        if (status == 400 || status == 401) {
            if (code.equals("invalid_grant")) {
                throw new VaultException(ErrorCode.REAUTHORIZATION_REQUIRED, "the authorization server refused the "
                        + "refresh token of secret " + key + " (invalid_grant): revoked, expired or reused; an "
                        + "organization key must store a new one");
            }
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "the token endpoint of secret " + key + " refused the "
                    + "refresh with HTTP " + status + (code.isEmpty() ? "" : " (" + code + ")"));
        }
        if (status == 429 || status >= 500) {
            throw new VaultException(ErrorCode.UPSTREAM_UNAVAILABLE, "the token endpoint of secret " + key
                    + " answered HTTP " + status, serverRetryAfter(response), null);
        }
        throw new VaultException(ErrorCode.UPSTREAM_ERROR, "the token endpoint of secret " + key + " answered HTTP "
                + status);
    }

    private MaterializationContext.Derived accepted(JsonNode body, StoredGrant grant, MaterializationContext ctx,
                                                    Instant sentAt) {
        String key = ctx.ref().key();
        if (body == null || !body.path("access_token").isTextual() || body.get("access_token").asText().isEmpty()) {
            throw new VaultException(ErrorCode.UPSTREAM_ERROR, "the token endpoint of secret " + key
                    + " answered without an access_token");
        }
        Duration lifetime = defaultLifetime;
        if (body.path("expires_in").canConvertToLong() && body.get("expires_in").asLong() > 0) {
            lifetime = Duration.ofSeconds(body.get("expires_in").asLong());
        }
        // expiry counts from when the request was sent: the token may be older than the answer
        Instant expiresAt = sentAt.plus(lifetime);
        Duration margin = skew.compareTo(lifetime.dividedBy(2)) < 0 ? skew : lifetime.dividedBy(2);
        Instant refreshAt = expiresAt.minus(margin);

        if (body.path("refresh_token").isTextual() && !body.get("refresh_token").asText().isEmpty()
                && !body.get("refresh_token").asText().equals(grant.refreshToken())) {
            // rotation: the new refresh token is durable before the access token is used; if a newer version
            // was stored meanwhile (an administrator's new grant) that one wins and this one is dropped
            SecretValue rotated = grant.withRefreshToken(body.get("refresh_token").asText());
            try {
                ctx.replaceStoredValue(rotated);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                    throw e;
                }
            } finally {
                rotated.wipe();
            }
        }
        ObjectNode token = StoredGrant.JSON.createObjectNode();
        token.put("accessToken", body.get("access_token").asText());
        token.put("tokenType", body.path("token_type").isTextual() ? body.get("token_type").asText() : "Bearer");
        token.put("expiresAt", DateTimeFormatter.ISO_INSTANT.format(expiresAt));
        String scope = body.path("scope").isTextual() ? body.get("scope").asText() : grant.scope().orElse(null);
        if (scope != null) {
            token.put("scope", scope);
        }
        try {
            return new MaterializationContext.Derived(SecretValue.of(StoredGrant.JSON.writeValueAsBytes(token)),
                    refreshAt);
        } catch (JsonProcessingException e) {
            throw new VaultException(ErrorCode.INTERNAL, "cannot encode an access token");
        }
    }

    private Duration serverRetryAfter(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Retry-After").filter(v -> v.matches("\\d{1,5}"))
                .map(v -> Duration.ofSeconds(Math.max(1, Math.min(300, Long.parseLong(v))))).orElse(retryAfter);
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body == null || body.length == 0 ? null : StoredGrant.JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "OAuthRefreshCredentialType[id=oauth_refresh, skew=" + skew + ", timeout=" + timeout + "]";
    }
}
