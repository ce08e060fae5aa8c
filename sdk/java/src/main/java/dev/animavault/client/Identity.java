package dev.animavault.client;

import java.time.Instant;
import java.util.Map;

/** An agent identity. */
public record Identity(String id, String organizationId, String name, Map<String, String> metadata, boolean disabled,
                       Instant createdAt, Instant updatedAt) {
    public Identity {
        metadata = Map.copyOf(metadata);
    }
}
