package dev.animavault.client;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A secret without its value: what create, put and list return. {@code version} is the current version;
 * {@code hint} a non-secret hint the credential type gives (e.g. {@code sk-...abcd}), if any;
 * {@code rotation} the policy and its state when the secret has a policy or an expiry.
 */
public record SecretMetadata(String organizationId, String identityId, String key, String type, int version,
                             Map<String, String> metadata, Instant createdAt, Instant updatedAt,
                             Optional<String> hint, Optional<RotationState> rotation) {
    public SecretMetadata {
        metadata = Map.copyOf(metadata);
        hint = hint == null ? Optional.empty() : hint;
        rotation = rotation == null ? Optional.empty() : rotation;
    }

    /** Metadata without hint or rotation. */
    public SecretMetadata(String organizationId, String identityId, String key, String type, int version,
                          Map<String, String> metadata, Instant createdAt, Instant updatedAt) {
        this(organizationId, identityId, key, type, version, metadata, createdAt, updatedAt, Optional.empty(),
                Optional.empty());
    }
}
