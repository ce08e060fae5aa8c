package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.spi.Page;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.util.function.Supplier;

/** Queries of the audit log, and other organization-wide reads (plugin list). Thread-safe. */
public final class AuditQueryService {
    private final OperationAudit audited;

    AuditQueryService(OperationAudit audited) {
        this.audited = audited;
    }

    /** Queries the audit log of the caller's organization (organization API keys only). */
    public Page<AuditEvent> queryAudit(RequestContext ctx, AuditQuery query) {
        return audited.run(ctx, "audit.query", query.identityId().orElse(null), null, null, () -> {
            Authorizer.require(ctx, Permission.AUDIT_READ);
            if (!query.organizationId().equals(ctx.principal().organizationId())) {
                throw Resources.denied("an API key may read only its own organization's audit log");
            }
            return audited.broker().query(query);
        });
    }

    /**
     * Runs a read that needs an organization-wide {@code permission} and touches no identity (e.g.
     * {@code plugin.list} with {@code sys:read}), audited as {@code action} (which must end in
     * {@code .list}, {@code .read} or {@code .query}).
     */
    public <T> T organizationRead(RequestContext ctx, String action, Permission permission, Supplier<T> read) {
        if (!OperationAudit.isRead(action)) {
            throw new IllegalArgumentException("not a read action: " + action);
        }
        return audited.run(ctx, action, null, null, null, () -> {
            Authorizer.require(ctx, permission);
            return read.get();
        });
    }
}
