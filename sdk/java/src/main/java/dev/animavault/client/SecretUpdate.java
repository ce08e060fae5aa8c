package dev.animavault.client;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Secrets#put} writes as the next version: a value and, optionally, a new type, metadata,
 * rotation policy or expiry (kept when absent). {@code toString()} masks the value.
 */
public record SecretUpdate(SecretValue value, Optional<String> type, Optional<Map<String, String>> metadata,
                           Optional<RotationPolicy> rotation, Optional<Instant> expiresAt) {
    public SecretUpdate {
        Objects.requireNonNull(value, "value is null");
        type = type == null ? Optional.empty() : type;
        metadata = metadata == null ? Optional.empty() : metadata.map(Map::copyOf);
        rotation = rotation == null ? Optional.empty() : rotation;
        expiresAt = expiresAt == null ? Optional.empty() : expiresAt;
    }

    /** A value with a new type or metadata (the shape before rotation existed). */
    public SecretUpdate(SecretValue value, Optional<String> type, Optional<Map<String, String>> metadata) {
        this(value, type, metadata, Optional.empty(), Optional.empty());
    }

    /** A new value; type and metadata unchanged. */
    public static SecretUpdate of(String value) {
        return new SecretUpdate(SecretValue.of(value), Optional.empty(), Optional.empty());
    }

    public SecretUpdate withType(String type) {
        return new SecretUpdate(value, Optional.of(type), metadata, rotation, expiresAt);
    }

    public SecretUpdate withMetadata(Map<String, String> metadata) {
        return new SecretUpdate(value, type, Optional.of(metadata), rotation, expiresAt);
    }

    public SecretUpdate withRotation(RotationPolicy rotation) {
        return new SecretUpdate(value, type, metadata, Optional.of(rotation), expiresAt);
    }

    public SecretUpdate withExpiresAt(Instant expiresAt) {
        return new SecretUpdate(value, type, metadata, rotation, Optional.of(expiresAt));
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", value.reveal());
        type.ifPresent(t -> m.put("type", t));
        metadata.ifPresent(md -> m.put("metadata", md));
        rotation.ifPresent(r -> m.put("rotation", r.json()));
        expiresAt.ifPresent(e -> m.put("expiresAt", e.toString()));
        return m;
    }
}
