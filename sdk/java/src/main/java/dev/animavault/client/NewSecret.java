package dev.animavault.client;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Secrets#create} stores: version 1 of {@code key} for {@code identityId}. Either a
 * {@code value} or a {@code generate} policy (the credential type generates the value; read it back with
 * {@link Secrets#get}). {@code type} is a credential type enabled on the vault (e.g. {@code api_key}), or
 * null for the vault's default type. {@code rotation} and {@code expiresAt} are optional (null).
 * {@code toString()} masks the value.
 */
public record NewSecret(String identityId, String key, SecretValue value, String type, Map<String, String> metadata,
                        Map<String, Object> generate, RotationPolicy rotation, Instant expiresAt) {
    public NewSecret {
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(key, "key is null");
        if ((value == null) == (generate == null)) {
            throw new IllegalArgumentException("give exactly one of value and generate");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        generate = generate == null ? null : Map.copyOf(generate);
    }

    /** A secret with a value and metadata (the shape before rotation existed). */
    public NewSecret(String identityId, String key, SecretValue value, String type, Map<String, String> metadata) {
        this(identityId, key, value, type, metadata, null, null, null);
    }

    /** A secret without metadata. */
    public static NewSecret of(String identityId, String key, String value, String type) {
        return new NewSecret(identityId, key, SecretValue.of(value), type, Map.of());
    }

    /**
     * A secret whose value the credential type generates, e.g. {@code Map.of("length", 32)} (the options
     * of each type: README "Credential types").
     */
    public static NewSecret generated(String identityId, String key, String type, Map<String, Object> policy) {
        return new NewSecret(identityId, key, null, type, Map.of(), policy, null, null);
    }

    /** The same with this metadata. */
    public NewSecret withMetadata(Map<String, String> metadata) {
        return new NewSecret(identityId, key, value, type, metadata, generate, rotation, expiresAt);
    }

    /** The same with a rotation policy. */
    public NewSecret withRotation(RotationPolicy rotation) {
        return new NewSecret(identityId, key, value, type, metadata, generate, rotation, expiresAt);
    }

    /** The same, expiring at this instant. */
    public NewSecret withExpiresAt(Instant expiresAt) {
        return new NewSecret(identityId, key, value, type, metadata, generate, rotation, expiresAt);
    }

    @Override
    public String toString() {
        return "NewSecret[identityId=" + identityId + ", key=" + key + ", value=" + value + ", type=" + type
                + ", metadata=" + metadata + ", generate=" + generate + ", rotation=" + rotation + ", expiresAt="
                + expiresAt + "]";
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("identityId", identityId);
        m.put("key", key);
        if (value != null) {
            m.put("value", value.reveal());
        } else {
            m.put("generate", generate);
        }
        if (type != null) {
            m.put("type", type);
        }
        m.put("metadata", metadata);
        if (rotation != null) {
            m.put("rotation", rotation.json());
        }
        if (expiresAt != null) {
            m.put("expiresAt", expiresAt.toString());
        }
        return m;
    }
}
