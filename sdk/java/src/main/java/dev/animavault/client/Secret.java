package dev.animavault.client;

import java.time.Instant;
import java.util.Map;

/**
 * A secret read with its value. {@code toString()} masks the value ({@link SecretValue}); read it
 * with {@code value().reveal()}. {@code createdAt} is when the version read was written.
 */
public record Secret(String organizationId, String identityId, String key, String type, int version,
                     int currentVersion, SecretValue value, Map<String, String> metadata, Instant createdAt,
                     Instant updatedAt) {
    public Secret {
        metadata = Map.copyOf(metadata);
    }
}
