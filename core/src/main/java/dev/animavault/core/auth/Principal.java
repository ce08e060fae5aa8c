package dev.animavault.core.auth;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Who is calling, established from a bearer token.
 *
 * @param kind           an organization API key or an identity token
 * @param organizationId the organization the token belongs to
 * @param identityId     for identity tokens, the identity; else null
 * @param tokenId        the token's public id (never the token)
 * @param allowedKeys    for identity tokens, the only secret keys readable; empty = all of the identity's
 * @param expiresAt      when the token stops working, or null
 */
public record Principal(Kind kind, String organizationId, String identityId, String tokenId, Set<String> allowedKeys,
                        Instant expiresAt) {

    /** Principal kinds. */
    public enum Kind {
        /** An organization API key: may do everything in its organization. */
        ORG_API_KEY,
        /** An agent's identity token: may read only its own identity's secrets. */
        IDENTITY
    }

    public Principal {
        Objects.requireNonNull(kind, "kind is null");
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(tokenId, "tokenId is null");
        allowedKeys = Set.copyOf(allowedKeys);
        if (kind == Kind.IDENTITY) {
            Objects.requireNonNull(identityId, "identityId is null");
        }
    }

    /** The audit actor string, e.g. {@code apikey:6f1c...} or {@code identity:agent_123/6f1c...}. */
    public String actor() {
        return kind == Kind.ORG_API_KEY ? "apikey:" + tokenId : "identity:" + identityId + "/" + tokenId;
    }
}
