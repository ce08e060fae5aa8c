package dev.animavault.core.service;

import dev.animavault.core.auth.TokenService;
import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.authz.Role;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import java.util.Map;
import java.util.Objects;

/**
 * The instance owner's operations on organizations ({@code orgs:write}, held only by the keys that
 * {@code anima-vault init} and the bootstrap token make): create one (with its owner API key, shown once),
 * list them, disable one. Nothing else crosses organizations: the new organization is run with its own
 * owner key. Every call is audited in the caller's organization with {@code details.organization}.
 * Thread-safe.
 */
public final class OrganizationService {
    private final Organizations organizations;
    private final TokenService tokens;
    private final OperationAudit audited;

    /** A created organization and its owner API key (the token is shown once). */
    public record Created(Organizations.Info organization, TokenService.Issued ownerKey) {
    }

    public OrganizationService(Organizations organizations, TokenService tokens, OperationAudit audited) {
        this.organizations = Objects.requireNonNull(organizations, "organizations is null");
        this.tokens = Objects.requireNonNull(tokens, "tokens is null");
        this.audited = Objects.requireNonNull(audited, "audited is null");
    }

    /** Creates an organization and an owner API key for it (role {@code owner}, without {@code orgs:write}). */
    public Created create(RequestContext ctx, String id, String name) {
        return audited.run(ctx, "org.create", null, null, null, Map.of("organization", safe(id)), () -> {
            Authorizer.require(ctx, Permission.ORGS_WRITE);
            Organizations.Info org = organizations.create(id, name);
            TokenService.Issued key = tokens.issueApiKey(id, "owner", Role.OWNER.permissions(), null, null);
            return new Created(org, key);
        }, c -> Map.of("apiKey", c.ownerKey().principal().tokenId()));
    }

    /** Lists organizations. */
    public Page<Organizations.Info> list(RequestContext ctx, PageRequest page) {
        return audited.run(ctx, "org.list", null, null, null, () -> {
            Authorizer.require(ctx, Permission.ORGS_WRITE);
            return organizations.list(page);
        });
    }

    /** Disables an organization (not the caller's own): its tokens stop working. Idempotent. */
    public Organizations.Info disable(RequestContext ctx, String id) {
        return audited.run(ctx, "org.disable", null, null, null, Map.of("organization", safe(id)), () -> {
            Authorizer.require(ctx, Permission.ORGS_WRITE);
            Names.identityId(id);
            if (id.equals(ctx.principal().organizationId())) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "an instance owner cannot disable its own "
                        + "organization (it would lock itself out)");
            }
            return organizations.disable(id);
        });
    }

    /** Enables a disabled organization again (instance owner, {@code orgs:write}). Idempotent. */
    public Organizations.Info enable(RequestContext ctx, String id) {
        return audited.run(ctx, "org.enable", null, null, null, Map.of("organization", safe(id)), () -> {
            Authorizer.require(ctx, Permission.ORGS_WRITE);
            Names.identityId(id);
            return organizations.enable(id);
        });
    }

    private static String safe(String id) {
        return Names.isIdentityId(id) ? id : "-";
    }
}
