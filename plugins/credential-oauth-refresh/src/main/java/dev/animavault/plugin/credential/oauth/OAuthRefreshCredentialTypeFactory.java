package dev.animavault.plugin.credential.oauth;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.time.Duration;
import java.util.List;

/**
 * Creates the {@code oauth_refresh} credential type. Stateless and thread-safe.
 *
 * <p>Configuration: {@code max-length} (bytes of the stored JSON, default 16384), {@code skew} (refresh
 * this long before expiry, at most half a token's lifetime; default 30s), {@code timeout} (token request
 * timeout, default 10s), {@code retry-after} (what a 503 tells clients, default 5s),
 * {@code default-lifetime} (assumed when the server sends no {@code expires_in}, default 5m).
 */
public final class OAuthRefreshCredentialTypeFactory implements CredentialTypeFactory {
    /** The type id and factory name. */
    public static final String NAME = "oauth_refresh";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "OAuth 2.0 refresh tokens: agents read live access tokens; refresh token and client secret stay in";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional("max-length", ConfigProperty.Type.INTEGER, "16384",
                        "largest stored value (the JSON document) in bytes"),
                ConfigProperty.optional("skew", ConfigProperty.Type.DURATION, "30s",
                        "refresh a cached access token this long before it expires (at most half its lifetime)"),
                ConfigProperty.optional("timeout", ConfigProperty.Type.DURATION, "10s",
                        "how long a token request may take before the read answers 503"),
                ConfigProperty.optional("retry-after", ConfigProperty.Type.DURATION, "5s",
                        "the Retry-After of a 503 when the token endpoint is down or slow"),
                ConfigProperty.optional("default-lifetime", ConfigProperty.Type.DURATION, "5m",
                        "access token lifetime assumed when the token endpoint sends no expires_in"));
    }

    @Override
    public CredentialType create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        int maxLength = config.getInt("max-length", 16384);
        if (maxLength < 256 || maxLength > 64 * 1024) {
            throw configError("max-length", "must be between 256 and 65536");
        }
        Duration skew = config.getDuration("skew", Duration.ofSeconds(30));
        Duration timeout = config.getDuration("timeout", Duration.ofSeconds(10));
        Duration retryAfter = config.getDuration("retry-after", Duration.ofSeconds(5));
        Duration lifetime = config.getDuration("default-lifetime", Duration.ofMinutes(5));
        if (skew.isNegative()) {
            throw configError("skew", "must not be negative");
        }
        if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw configError("timeout", "must be between 100ms and 30s (core waits at most 45s for a refresh)");
        }
        if (retryAfter.compareTo(Duration.ofSeconds(1)) < 0) {
            throw configError("retry-after", "must be at least 1s");
        }
        if (lifetime.compareTo(Duration.ofSeconds(1)) < 0) {
            throw configError("default-lifetime", "must be at least 1s");
        }
        return new OAuthRefreshCredentialType(context, maxLength, skew, timeout, retryAfter, lifetime);
    }

    private static VaultException configError(String key, String what) {
        return new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + key + "' of provider '" + NAME
                + "' " + what);
    }

    @Override
    public String toString() {
        return "OAuthRefreshCredentialTypeFactory[" + NAME + "]";
    }
}
