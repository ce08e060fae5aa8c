package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.auth.TokenService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import java.time.Instant;
import java.util.Map;

/** Identities of an organization: create, read, list, disable. Thread-safe. */
public final class IdentityService {
    private final Resources r;
    private final TokenService tokens;
    private final OperationAudit audited;

    IdentityService(Resources r, TokenService tokens, OperationAudit audited) {
        this.r = r;
        this.tokens = tokens;
        this.audited = audited;
    }

    /** Creates an identity in the caller's organization. */
    public Identity createIdentity(RequestContext ctx, String id, String name, Map<String, String> metadata) {
        return audited.run(ctx, "identity.create", id, null, null, () -> {
            Names.identityId(id);
            Authorizer.require(ctx, Permission.IDENTITIES_WRITE, id);
            Names.identityName(name);
            Names.metadata(metadata);
            Instant now = r.clock.instant();
            return r.storage.createIdentity(new Identity(ctx.principal().organizationId(), id, name == null ? id : name,
                    metadata, false, now, now, 1));
        });
    }

    /** Reads an identity: organization API keys any of their organization's, identity tokens their own. */
    public Identity getIdentity(RequestContext ctx, String id) {
        return audited.run(ctx, "identity.read", id, null, null, () -> {
            Names.identityId(id);
            Authorizer.requireIdentityRead(ctx, id);
            return r.requireIdentity(ctx.principal().organizationId(), id);
        });
    }

    /** Lists identities of the caller's organization. */
    public Page<Identity> listIdentities(RequestContext ctx, PageRequest page) {
        return audited.run(ctx, "identity.list", null, null, null, () -> {
            Authorizer.require(ctx, Permission.IDENTITIES_READ);
            return r.storage.listIdentities(ctx.principal().organizationId(), page);
        });
    }

    /** Disables an identity and revokes all its tokens; its secrets stay. Idempotent. */
    public Identity disableIdentity(RequestContext ctx, String id) {
        return audited.run(ctx, "identity.disable", id, null, null, () -> {
            Names.identityId(id);
            Authorizer.require(ctx, Permission.IDENTITIES_WRITE, id);
            String org = ctx.principal().organizationId();
            Identity updated = null;
            for (int attempt = 0; updated == null; attempt++) {
                Identity current = r.requireIdentity(org, id);
                if (current.disabled()) {
                    updated = current;
                    break;
                }
                try {
                    updated = r.storage.updateIdentity(new Identity(org, id, current.name(), current.metadata(), true,
                            current.createdAt(), r.clock.instant(), current.revision()), current.revision());
                } catch (VaultException e) {
                    // whatever storage did (a lost answer may hide a commit), no create trusts the memo's copy
                    r.writeIdentities.forget(org, id);
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= Resources.WRITE_RETRIES) {
                        throw e;
                    }
                }
            }
            // this node's next create sees the identity disabled (other nodes: through the change notification)
            r.writeIdentities.forget(org, id);
            tokens.revokeAll(org, id);
            return updated;
        });
    }
}
