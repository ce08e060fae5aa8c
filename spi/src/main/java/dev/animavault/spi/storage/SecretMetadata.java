package dev.animavault.spi.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A secret's metadata: everything but the values.
 *
 * @param ref            where the secret lives
 * @param type           the credential type id ({@code api_key}, {@code password}, ...)
 * @param currentVersion the version reads return by default; versions above it are pending, below it
 *                       are previous
 * @param metadata       user-supplied labels, round-tripped exactly (copied)
 * @param attributes     core-managed settings (rotation policy, expiry, ...), round-tripped exactly (copied)
 * @param createdAt      creation time
 * @param updatedAt      last change
 * @param revision       the stored revision; ignored on create
 */
public record SecretMetadata(SecretRef ref, String type, int currentVersion, Map<String, String> metadata,
                             Map<String, String> attributes, Instant createdAt, Instant updatedAt,
                             long revision) {
    public SecretMetadata {
        Objects.requireNonNull(ref, "ref is null");
        Objects.requireNonNull(type, "type is null");
        if (currentVersion < 1) {
            throw new IllegalArgumentException("currentVersion must be >= 1");
        }
        metadata = Map.copyOf(metadata);
        attributes = Map.copyOf(attributes);
        Objects.requireNonNull(createdAt, "createdAt is null");
        Objects.requireNonNull(updatedAt, "updatedAt is null");
    }

    /** A copy with another revision. */
    public SecretMetadata withRevision(long newRevision) {
        return new SecretMetadata(ref, type, currentVersion, metadata, attributes, createdAt, updatedAt, newRevision);
    }
}
