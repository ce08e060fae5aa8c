package dev.animavault.spi.storage;

import java.util.Objects;

/**
 * The address of a secret: organization, identity, key.
 *
 * @param organizationId the organization
 * @param identityId     the identity inside it
 * @param key            the secret's key inside the identity (e.g. {@code OPENAI_API_KEY})
 */
public record SecretRef(String organizationId, String identityId, String key) {
    public SecretRef {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(key, "key is null");
    }
}
