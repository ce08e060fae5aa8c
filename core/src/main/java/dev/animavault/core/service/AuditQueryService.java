package dev.animavault.core.service;

import dev.animavault.core.audit.SensitiveFields;
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

    /**
     * Queries the audit log of the caller's organization (organization API keys only). An {@code actor}
     * filter in clear (e.g. {@code apikey:ak_1}) is hashed as events record it under the active audit key
     * version; one already hashed ({@code apikey:hmac:v1:...}, from {@code POST /v1/sys/audit-hash}) is used
     * as given, which is how events recorded under an earlier version are found.
     */
    public Page<AuditEvent> queryAudit(RequestContext ctx, AuditQuery given) {
        SensitiveFields fields = audited.broker().sensitiveFields();
        AuditQuery query = fields == null || given.actor().isEmpty() ? given
                : new AuditQuery(given.organizationId(), given.identityId(), given.action(), given.from(), given.to(),
                given.page(), given.secretKey(),
                given.actor().map(a -> fields.hashActor(a, fields.activeVersion())), given.outcome());
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
