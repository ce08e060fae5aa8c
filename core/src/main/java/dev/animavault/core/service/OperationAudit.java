package dev.animavault.core.service;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.storage.SecretMetadata;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The audit contract every operation of the vault's services runs under ({@link #run}), and the events
 * they record. Shared by the resource services of this package (identities, tokens, secrets, audit,
 * organizations, API keys). Thread-safe.
 */
public final class OperationAudit {
    private final AuditBroker audit;
    private final Clock clock;

    public OperationAudit(AuditBroker audit, Clock clock) {
        this.audit = Objects.requireNonNull(audit, "audit is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
    }

    /** The broker events go to. */
    public AuditBroker broker() {
        return audit;
    }

    /**
     * Runs {@code op}, one audited operation, under the audit contract; every operation of the services
     * (and any added later) goes through here.
     *
     * <p><b>Reads</b> (actions whose last segment is {@code read}, {@code list} or {@code query}) change no
     * state and are recorded once, after {@code op}: its outcome. A successful read whose event no sink
     * records fails with {@code AUDIT_UNAVAILABLE} and its result is dropped.
     *
     * <p><b>Every other action is a state change</b> (the safe default for new actions) and is recorded
     * before and after, as HashiCorp Vault records a request and a response entry:
     * <ol>
     *   <li>an {@link AuditOutcome#ATTEMPT} event is recorded before {@code op} runs; when no sink records
     *       it, {@code op} does not run and the call fails with {@code AUDIT_UNAVAILABLE} (nothing changed);
     *   <li>{@code op} runs (authorization and validation included, so a denied or invalid attempt is on
     *       record as an attempt followed by its DENIED/FAILURE outcome);
     *   <li>the outcome event (same action, same request id, {@code details.attempt} = the attempt's event
     *       id) is recorded. A failed {@code op}'s outcome is recorded best effort and its exception is
     *       rethrown. A successful one must be recorded: if no sink records it, the call fails with
     *       {@code AUDIT_UNAVAILABLE} saying that the change was made (the trail holds its attempt).
     * </ol>
     * So no change is ever made that the audit trail does not at least show as attempted. {@code op} must
     * not change state before it has run its checks, and must not record audit events itself.
     *
     * @param action     the action, e.g. {@code secret.create}; reads end in {@code .read}, {@code .list} or
     *                   {@code .query}
     * @param identityId the identity addressed (recorded only when it is a valid identity id), or null
     * @param key        the secret key addressed (recorded only when valid), or null
     * @param version    the version addressed, or null; a {@link SecretMetadata} result's current version
     *                   replaces it in the outcome event
     */
    public <T> T run(RequestContext ctx, String action, String identityId, String key, Integer version,
                     Supplier<T> op) {
        return run(ctx, action, identityId, key, version, Map.of(), op);
    }

    /** As {@link #run(RequestContext, String, String, String, Integer, Supplier)}, with event details. */
    public <T> T run(RequestContext ctx, String action, String identityId, String key, Integer version,
                     Map<String, String> extra, Supplier<T> op) {
        return run(ctx, action, identityId, key, version, extra, op, result -> Map.of());
    }

    /**
     * As above; {@code outcome} adds details to the success event from the result (e.g. the id of what was
     * created). Details never hold a secret value or a token.
     */
    public <T> T run(RequestContext ctx, String action, String identityId, String key, Integer version,
                     Map<String, String> extra, Supplier<T> op,
                     java.util.function.Function<T, Map<String, String>> outcome) {
        String attemptId = null;
        if (!isRead(action)) {
            AuditEvent attempt = event(ctx, action, AuditOutcome.ATTEMPT, safeIdentity(identityId), safeKey(key),
                    version, null, extra);
            if (!audit.record(attempt)) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused and nothing was "
                        + "changed because no audit sink could record the attempt");
            }
            attemptId = attempt.id();
        }
        Map<String, String> details = extra;
        if (attemptId != null) {
            details = new java.util.HashMap<>(extra);
            details.put("attempt", attemptId);
        }
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            failure(ctx, action, identityId, key, version, e, details);
            throw e;
        } catch (RuntimeException e) {
            failure(ctx, action, identityId, key, version, new VaultException(ErrorCode.INTERNAL,
                    "unexpected failure", e), details);
            throw e;
        }
        Integer v = version;
        if (result instanceof SecretMetadata m) {
            v = m.currentVersion();
        }
        Map<String, String> added = outcome.apply(result);
        if (!added.isEmpty()) {
            details = new java.util.HashMap<>(details);
            details.putAll(added);
        }
        if (!audit.record(event(ctx, action, AuditOutcome.SUCCESS, identityId, key, v, null, details))) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, attemptId == null
                    ? "the request was refused because no audit sink could record it"
                    : "the change was made and its attempt is in the audit log, but no audit sink could record "
                    + "its outcome");
        }
        return result;
    }

    /** Whether an action only reads (recorded once, after); everything else is a state change. */
    public static boolean isRead(String action) {
        return action.endsWith(".read") || action.endsWith(".list") || action.endsWith(".query");
    }

    static String safeIdentity(String identityId) {
        return Names.isIdentityId(identityId) ? identityId : null;
    }

    static String safeKey(String key) {
        return Names.isSecretKey(key) ? key : null;
    }

    void failure(RequestContext ctx, String action, String identityId, String key, Integer version,
                 VaultException e) {
        failure(ctx, action, identityId, key, version, e, Map.of());
    }

    void failure(RequestContext ctx, String action, String identityId, String key, Integer version,
                 VaultException e, Map<String, String> details) {
        AuditOutcome outcome = e.errorCode() == ErrorCode.PERMISSION_DENIED
                || e.errorCode() == ErrorCode.UNAUTHENTICATED ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
        audit.record(event(ctx, action, outcome, safeIdentity(identityId), safeKey(key), version,
                e.errorCode().code(), details));
    }

    /**
     * Records the outcome of a request refused before its operation ran (while the HTTP layer parsed its
     * body or parameters): DENIED or FAILURE with the error code and {@code details.stage = request}. The
     * identity and key are recorded only when they are valid names. Best effort.
     */
    public void refusedBeforeOperation(RequestContext ctx, String action, String identityId, String key,
                                       VaultException e) {
        failure(ctx, action, identityId, key, null, e, Map.of("stage", "request"));
    }

    AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                     Integer version, String errorCode) {
        return event(ctx, action, outcome, identityId, key, version, errorCode, Map.of());
    }

    AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                     Integer version, String errorCode, Map<String, String> details) {
        Instant now = clock.instant();
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome,
                ctx.principal().organizationId(), identityId, key, version, ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress(), errorCode, details);
    }

    /** Records a refused authentication (unknown or missing token). Best effort. */
    public void unauthenticated(String requestId, String remoteAddress, String action, String identityId,
                                String key) {
        Instant now = clock.instant();
        // the path comes from an unauthenticated caller: record it only when it is a valid name
        audit.record(new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, AuditOutcome.DENIED, null,
                Names.isIdentityId(identityId) ? identityId : null, Names.isSecretKey(key) ? key : null, null,
                "anonymous", requestId, remoteAddress, ErrorCode.UNAUTHENTICATED.code(), Map.of()));
    }
}
