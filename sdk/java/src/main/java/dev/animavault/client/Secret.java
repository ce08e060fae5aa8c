package dev.animavault.client;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A secret read with its value. {@code toString()} masks the value ({@link SecretValue}); read it
 * with {@code value().reveal()}. {@code createdAt} is when the version read was written. {@code fields}
 * holds what a credential type adds beside the value: for {@code oauth_refresh}, whose value is a live
 * access token, {@code tokenType}, {@code expiresAt} and {@code scope} (the refresh token never comes back).
 */
public record Secret(String organizationId, String identityId, String key, String type, int version,
                     int currentVersion, SecretValue value, Map<String, String> metadata, Instant createdAt,
                     Instant updatedAt, Map<String, String> fields) {
    public Secret {
        metadata = Map.copyOf(metadata);
        fields = Map.copyOf(fields);
    }

    /** A secret without type fields. */
    public Secret(String organizationId, String identityId, String key, String type, int version, int currentVersion,
                  SecretValue value, Map<String, String> metadata, Instant createdAt, Instant updatedAt) {
        this(organizationId, identityId, key, type, version, currentVersion, value, metadata, createdAt, updatedAt,
                Map.of());
    }

    /** {@code oauth_refresh}: when the access token in {@link #value()} expires. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(fields.get("expiresAt")).map(Instant::parse);
    }
}
