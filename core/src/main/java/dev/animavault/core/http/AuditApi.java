package dev.animavault.core.http;

import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * {@code /v1/vault/audit}: the audit log of the caller's organization. The optional
 * {@code organizationId} query parameter may only name the caller's own organization (anything else is
 * 403 {@code permission_denied}); it exists so that a client can state the scope it expects and fail
 * loudly when it holds another organization's key.
 */
final class AuditApi implements HttpService {
    private final Api api;

    AuditApi(Api api) {
        this.api = api;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/logs", this::logs);
    }

    private void logs(ServerRequest req, ServerResponse res) {
        Optional<String> identityId = req.query().first("identityId").asOptional();
        RequestContext ctx = api.authenticate(req, "audit.query", identityId.orElse(null), null);
        String org = req.query().first("organizationId").asOptional().orElse(ctx.principal().organizationId());
        AuditQuery query = new AuditQuery(org, identityId, req.query().first("action").asOptional(),
                instant(req, "from"), instant(req, "to"), Api.page(req, 100),
                req.query().first("secretKey").asOptional(), req.query().first("actor").asOptional(),
                outcome(req));
        Api.send(res, 200, Views.page(api.service().auditQueries().queryAudit(ctx, query), Views::auditEvent));
    }

    private static Optional<AuditOutcome> outcome(ServerRequest req) {
        return req.query().first("outcome").asOptional().map(s -> {
            for (AuditOutcome o : AuditOutcome.values()) {
                if (o.name().equalsIgnoreCase(s)) {
                    return o;
                }
            }
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'outcome' must be one of "
                    + java.util.Arrays.toString(AuditOutcome.values()));
        });
    }

    private static Optional<Instant> instant(ServerRequest req, String name) {
        return req.query().first(name).asOptional().map(s -> {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter '" + name
                        + "' must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
            }
        });
    }
}
