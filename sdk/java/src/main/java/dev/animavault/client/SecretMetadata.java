package dev.animavault.client;

import java.time.Instant;
import java.util.Map;

/** A secret without its value: what create, put and list return. {@code version} is the current version. */
public record SecretMetadata(String organizationId, String identityId, String key, String type, int version,
                             Map<String, String> metadata, Instant createdAt, Instant updatedAt) {
    public SecretMetadata {
        metadata = Map.copyOf(metadata);
    }
}
