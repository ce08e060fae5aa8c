package dev.animavault.core.authz;

import dev.animavault.core.auth.Principal;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;

/**
 * The one place that decides whether a caller may do something; every operation of the services asks it
 * before it touches anything. Deny by default: what a principal does not hold is refused with
 * {@code PERMISSION_DENIED} (403 problem+json, audited {@code DENIED} by the operation that asked).
 *
 * <p>The rules:
 * <ul>
 *   <li>Organization API keys and admin sessions hold a set of {@link Permission}s (an owner key all of
 *       its organization's, a scoped key what it was created with, an admin its role's). Everything they
 *       do happens in their own organization: no operation takes another organization's id.
 *   <li>An API key may carry an <b>identity scope</b> ({@link Principal#identityId()} non-null): then it
 *       acts only on that identity (its secrets, tokens and the identity itself) and is refused every
 *       organization-wide operation (listing identities, the audit log, reports, API keys, plugins).
 *   <li>Identity tokens hold no permission: they read their own identity, list and read their own
 *       identity's secrets within their {@code allowedKeys}, and nothing else.
 *   <li>A secret's value needs {@link Permission#SECRETS_READ}; listings and metadata need only
 *       {@link Permission#SECRETS_LIST}, so an auditor (which holds no {@code secrets:read}) never receives
 *       a value.
 * </ul>
 * Every check is a field compare and a {@code Set.contains}: nothing allocates unless it refuses.
 * Stateless and thread-safe.
 */
public final class Authorizer {
    private Authorizer() {
    }

    /** Requires an organization-wide permission (refused to identity tokens and identity-scoped API keys). */
    public static void require(RequestContext ctx, Permission permission) {
        require(ctx.principal(), permission);
    }

    /** As {@link #require(RequestContext, Permission)}, for services that hold only the principal. */
    public static void require(Principal p, Permission permission) {
        requireHeld(p, permission);
        if (p.identityId() != null) {
            throw denied("this API key is limited to identity " + p.identityId() + "; " + permission.wire()
                    + " on the whole organization needs an unscoped key");
        }
    }

    /** Requires a permission on one identity (its record, tokens or secrets): held, and inside the key's scope. */
    public static void require(RequestContext ctx, Permission permission, String identityId) {
        Principal p = ctx.principal();
        requireHeld(p, permission);
        if (p.identityId() != null && !p.identityId().equals(identityId)) {
            throw denied("this API key is limited to identity " + p.identityId());
        }
    }

    /** Reading an identity's record: its own identity token, or {@code identities:read} on it. */
    public static void requireIdentityRead(RequestContext ctx, String identityId) {
        Principal p = ctx.principal();
        if (p.kind() == Principal.Kind.IDENTITY) {
            if (!p.identityId().equals(identityId)) {
                throw denied("an identity token may read only its own identity");
            }
            return;
        }
        require(ctx, Permission.IDENTITIES_READ, identityId);
    }

    /** Listing an identity's secrets (metadata): its own identity token, or {@code secrets:list} on it. */
    public static void requireSecretList(RequestContext ctx, String identityId) {
        Principal p = ctx.principal();
        if (p.kind() == Principal.Kind.IDENTITY) {
            if (!p.identityId().equals(identityId)) {
                throw denied("this identity token may list only the secrets of identity " + p.identityId());
            }
            return;
        }
        require(ctx, Permission.SECRETS_LIST, identityId);
    }

    /**
     * Reading a secret's value (the hot path): an identity token its own identity's secrets within its
     * allowed keys; anyone else {@code secrets:read} on the identity. The stored form (without the
     * credential type's materialization: an OAuth secret's refresh token and client secret) also needs
     * {@code secrets:write} and is never given to identity tokens.
     */
    public static void requireSecretRead(RequestContext ctx, String identityId, String key, boolean storedForm) {
        Principal p = ctx.principal();
        if (p.kind() == Principal.Kind.IDENTITY) {
            if (storedForm) {
                throw denied("only an organization API key may read the stored form of a secret");
            }
            if (!p.identityId().equals(identityId)) {
                throw denied("this identity token may read only the secrets of identity " + p.identityId());
            }
            if (!p.allowedKeys().isEmpty() && !p.allowedKeys().contains(key)) {
                throw denied("this identity token may not read secret " + key);
            }
            return;
        }
        require(ctx, Permission.SECRETS_READ, identityId);
        if (storedForm && !p.holds(Permission.SECRETS_WRITE)) {
            throw denied("the stored form of a secret needs the secrets:read and secrets:write permissions");
        }
    }

    /** Whether the caller is an identity token (old versions and unknown types are read more strictly). */
    public static boolean isIdentityToken(RequestContext ctx) {
        return ctx.principal().kind() == Principal.Kind.IDENTITY;
    }

    private static void requireHeld(Principal p, Permission permission) {
        if (!p.holds(permission)) {
            throw denied(p.kind() == Principal.Kind.IDENTITY
                    ? "this operation needs an organization API key; identity tokens may only read their own "
                    + "identity's secrets"
                    : "this operation needs the " + permission.wire() + " permission");
        }
    }

    /** A refusal. */
    public static VaultException denied(String message) {
        return new VaultException(ErrorCode.PERMISSION_DENIED, message);
    }
}
