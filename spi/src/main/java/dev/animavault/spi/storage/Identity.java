package dev.animavault.spi.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An agent identity inside an organization.
 *
 * @param organizationId the owning organization
 * @param id             the identity id, unique in the organization (e.g. {@code agent_123})
 * @param name           a display name
 * @param metadata       free-form labels (copied)
 * @param disabled       a disabled identity can no longer authenticate (core revokes its tokens and issues
 *                       no new ones) and gets no new secrets; organization API keys still read, update and
 *                       delete the secrets it has
 * @param createdAt      creation time
 * @param updatedAt      last change
 * @param revision       the stored revision (1 after create); ignored by {@code createIdentity}
 */
public record Identity(String organizationId, String id, String name, Map<String, String> metadata,
                       boolean disabled, Instant createdAt, Instant updatedAt, long revision) {
    public Identity {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(id, "id is null");
        Objects.requireNonNull(name, "name is null");
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(createdAt, "createdAt is null");
        Objects.requireNonNull(updatedAt, "updatedAt is null");
    }

    /** A copy with another revision. */
    public Identity withRevision(long newRevision) {
        return new Identity(organizationId, id, name, metadata, disabled, createdAt, updatedAt, newRevision);
    }
}
