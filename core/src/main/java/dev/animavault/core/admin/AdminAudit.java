package dev.animavault.core.admin;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The audit contract of admin operations, the same as the vault service's: a state change records an
 * {@code ATTEMPT} first (no sink records it: nothing runs, {@code AUDIT_UNAVAILABLE}), then its outcome
 * ({@code details.attempt} names the attempt); a failed operation's outcome is recorded best effort, a
 * successful one must be recorded. Reads record their outcome once. Events never carry a password, a
 * code, a TOTP secret or a token; they name the account in {@code details.username}.
 */
public final class AdminAudit {
    private final AuditBroker audit;
    private final Clock clock;

    /** Who acts, for the audit trail: an authenticated principal's actor or {@code anonymous} before login. */
    public record Actor(String organizationId, String actor, String requestId, String remoteAddress) {
    }

    public AdminAudit(AuditBroker audit, Clock clock) {
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Runs a state change under the contract. {@code details} go into every event; {@code op} may add
     * outcome details (e.g. the session id) to the map it is given.
     */
    public <T> T change(Actor who, String action, Map<String, String> details,
                        java.util.function.Function<Map<String, String>, T> op) {
        AuditEvent attempt = event(who, action, AuditOutcome.ATTEMPT, null, details);
        if (!audit.record(attempt)) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused and nothing was changed "
                    + "because no audit sink could record the attempt");
        }
        Map<String, String> outcome = new HashMap<>(details);
        outcome.put("attempt", attempt.id());
        T result;
        try {
            result = op.apply(outcome);
        } catch (VaultException e) {
            failure(who, action, e, outcome);
            throw e;
        } catch (RuntimeException e) {
            failure(who, action, new VaultException(ErrorCode.INTERNAL, "unexpected failure", e), outcome);
            throw e;
        }
        if (!audit.record(event(who, action, AuditOutcome.SUCCESS, null, outcome))) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the change was made and its attempt is in the "
                    + "audit log, but no audit sink could record its outcome");
        }
        return result;
    }

    /** Runs a read; its outcome is recorded once, and a success no sink records is refused. */
    public <T> T read(Actor who, String action, Map<String, String> details, Supplier<T> op) {
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            failure(who, action, e, details);
            throw e;
        }
        if (!audit.record(event(who, action, AuditOutcome.SUCCESS, null, details))) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused because no audit sink "
                    + "could record it");
        }
        return result;
    }

    /** A refusal that changes nothing (a throttled login, a session lacking a permission): best effort. */
    public void denied(Actor who, String action, ErrorCode code, Map<String, String> details) {
        audit.record(event(who, action, AuditOutcome.DENIED, code.code(), details));
    }

    private void failure(Actor who, String action, VaultException e, Map<String, String> details) {
        AuditOutcome outcome = e.errorCode() == ErrorCode.PERMISSION_DENIED || e.errorCode() == ErrorCode.UNAUTHENTICATED
                || e.errorCode() == ErrorCode.RATE_LIMITED ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
        audit.record(event(who, action, outcome, e.errorCode().code(), details));
    }

    private AuditEvent event(Actor who, String action, AuditOutcome outcome, String errorCode,
                             Map<String, String> details) {
        Instant now = clock.instant();
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome, who.organizationId(), null,
                null, null, who.actor(), who.requestId(), who.remoteAddress(), errorCode, Map.copyOf(details));
    }
}
