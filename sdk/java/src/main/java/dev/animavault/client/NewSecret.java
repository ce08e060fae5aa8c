package dev.animavault.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Secrets#create} stores: version 1 of {@code key} for {@code identityId}. {@code type} is a
 * credential type enabled on the vault (e.g. {@code api_key}). {@code toString()} masks the value.
 */
public record NewSecret(String identityId, String key, SecretValue value, String type, Map<String, String> metadata) {
    public NewSecret {
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(key, "key is null");
        Objects.requireNonNull(value, "value is null");
        Objects.requireNonNull(type, "type is null");
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A secret without metadata. */
    public static NewSecret of(String identityId, String key, String value, String type) {
        return new NewSecret(identityId, key, SecretValue.of(value), type, Map.of());
    }

    /** The same with this metadata. */
    public NewSecret withMetadata(Map<String, String> metadata) {
        return new NewSecret(identityId, key, value, type, metadata);
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("identityId", identityId);
        m.put("key", key);
        m.put("value", value.reveal());
        m.put("type", type);
        m.put("metadata", metadata);
        return m;
    }
}
