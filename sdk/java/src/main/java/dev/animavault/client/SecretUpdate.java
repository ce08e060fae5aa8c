package dev.animavault.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link Secrets#put} writes as the next version: a value and, optionally, a new type or metadata
 * (kept when absent). {@code toString()} masks the value.
 */
public record SecretUpdate(SecretValue value, Optional<String> type, Optional<Map<String, String>> metadata) {
    public SecretUpdate {
        Objects.requireNonNull(value, "value is null");
        type = type == null ? Optional.empty() : type;
        metadata = metadata == null ? Optional.empty() : metadata.map(Map::copyOf);
    }

    /** A new value; type and metadata unchanged. */
    public static SecretUpdate of(String value) {
        return new SecretUpdate(SecretValue.of(value), Optional.empty(), Optional.empty());
    }

    public SecretUpdate withType(String type) {
        return new SecretUpdate(value, Optional.of(type), metadata);
    }

    public SecretUpdate withMetadata(Map<String, String> metadata) {
        return new SecretUpdate(value, type, Optional.of(metadata));
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", value.reveal());
        type.ifPresent(t -> m.put("type", t));
        metadata.ifPresent(md -> m.put("metadata", md));
        return m;
    }
}
