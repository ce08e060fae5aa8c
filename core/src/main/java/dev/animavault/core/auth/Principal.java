package dev.animavault.core.auth;

import dev.animavault.core.authz.Permission;
import dev.animavault.core.authz.Role;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * Who is calling, established from a bearer token.
 *
 * @param kind           an organization API key, an identity token or an admin's session
 * @param organizationId the organization the token belongs to
 * @param identityId     for identity tokens, the identity; else null
 * @param tokenId        the token's public id (never the token)
 * @param allowedKeys    for identity tokens, the only secret keys readable; empty = all of the identity's
 * @param expiresAt      when the token stops working, or null
 * @param permissions    what this principal may do in its organization (an API key's scope, an admin's role);
 *                       identity tokens hold none and read only their own identity's secrets
 */
public record Principal(Kind kind, String organizationId, String identityId, String tokenId, Set<String> allowedKeys,
                        Instant expiresAt, Set<Permission> permissions) {

    /** Principal kinds. */
    public enum Kind {
        /** An organization API key: holds its scope's permissions (the bootstrap key is an owner key). */
        ORG_API_KEY,
        /** An agent's identity token: may read only its own identity's secrets. */
        IDENTITY,
        /** A human admin's session, after password and MFA: holds its role's permissions. */
        ADMIN
    }

    public Principal {
        Objects.requireNonNull(kind, "kind is null");
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(tokenId, "tokenId is null");
        allowedKeys = Set.copyOf(allowedKeys);
        permissions = kind == Kind.IDENTITY ? Set.of() : Set.copyOf(permissions);
        if (kind == Kind.IDENTITY) {
            Objects.requireNonNull(identityId, "identityId is null");
        }
    }

    /** A principal of today's shape: an API key holds the owner role, an identity token nothing. */
    public Principal(Kind kind, String organizationId, String identityId, String tokenId, Set<String> allowedKeys,
                     Instant expiresAt) {
        this(kind, organizationId, identityId, tokenId, allowedKeys, expiresAt,
                kind == Kind.IDENTITY ? Set.of() : Role.OWNER.permissions());
    }

    /** Whether this principal holds the permission (deny by default). */
    public boolean holds(Permission permission) {
        return permissions.contains(permission);
    }

    /** The audit actor string, e.g. {@code apikey:6f1c...}, {@code identity:agent_123/6f1c...}, {@code admin:...}. */
    public String actor() {
        return switch (kind) {
            case ORG_API_KEY -> "apikey:" + tokenId;
            case IDENTITY -> "identity:" + identityId + "/" + tokenId;
            case ADMIN -> "admin:" + tokenId;
        };
    }
}
