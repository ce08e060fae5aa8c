package dev.animavault.core.report;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import static java.util.Objects.requireNonNull;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Compliance reports for callers: checks the {@code reports:read} permission, audits the request
 * ({@code audit.report}: DENIED when refused; SUCCESS, recorded or the request fails closed, when made)
 * and generates the report. Thread-safe.
 */
public final class ReportService {
    /** The longest period one report covers. */
    public static final Duration MAX_PERIOD = Duration.ofDays(366);
    /** The period when {@code from} is not given. */
    public static final Duration DEFAULT_PERIOD = Duration.ofDays(30);

    private final ReportGenerator generator;
    private final AuditBroker audit;
    private final Clock clock;

    public ReportService(ReportGenerator generator, AuditBroker audit, Clock clock) {
        this.generator = requireNonNull(generator, "generator is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param organizationId the organization asked for (must be the caller's), or null for the caller's
     * @throws VaultException {@code PERMISSION_DENIED} without {@code reports:read} or for another
     *                        organization, {@code INVALID_ARGUMENT} for a bad period,
     *                        {@code AUDIT_UNAVAILABLE} when the request cannot be audited
     */
    public ComplianceReport generate(RequestContext ctx, String organizationId, Optional<String> identityId,
                                     Optional<Instant> from, Optional<Instant> to) {
        Principal p = ctx.principal();
        String org = organizationId == null ? p.organizationId() : organizationId;
        try {
            Authorizer.require(ctx, Permission.REPORTS_READ);
            if (!org.equals(p.organizationId())) {
                throw Authorizer.denied("an API key may report only on its own organization");
            }
        } catch (VaultException e) {
            record(ctx, AuditOutcome.DENIED, identityId, ErrorCode.PERMISSION_DENIED.code(), Map.of());
            throw e;
        }
        Instant end = to.orElse(clock.instant());
        Instant start = from.orElse(end.minus(DEFAULT_PERIOD));
        if (!start.isBefore(end)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "'from' must be before 'to'");
        }
        if (Duration.between(start, end).compareTo(MAX_PERIOD) > 0) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "a report covers at most " + MAX_PERIOD.toDays()
                    + " days; ask for several");
        }
        ComplianceReport report = generator.generate(org, identityId, start, end);
        record(ctx, AuditOutcome.SUCCESS, identityId, null, Map.of("from", start.toString(), "to", end.toString(),
                "events", Long.toString(report.eventsScanned())));
        return report;
    }

    private void record(RequestContext ctx, AuditOutcome outcome, Optional<String> identityId, String errorCode,
                        Map<String, String> details) {
        Instant now = clock.instant();
        audit.recordOrFail(new AuditEvent(audit.newEventId(now.toEpochMilli()), now, "audit.report", outcome,
                ctx.principal().organizationId(), identityId.orElse(null), null, null, ctx.principal().actor(),
                ctx.requestId(), ctx.remoteAddress(), errorCode, details));
    }
}
