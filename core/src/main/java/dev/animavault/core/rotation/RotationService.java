package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ROTATED_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.SCHEDULE_KEY;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.service.Names;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The rotation API's operations (secrets:write; deliveries secrets:list), each audited: change or remove a
 * secret's policy, rotate now, list deliveries, rotate the organization's webhook signing secret.
 * Thread-safe.
 */
public final class RotationService {
    private static final int WRITE_RETRIES = 5;

    private final StorageBackend storage;
    private final AuditBroker audit;
    private final Map<String, CredentialType> types;
    private final Clock clock;
    private final RotationEngine engine;
    private final RotationLifecycle lifecycle;

    public RotationService(StorageBackend storage, AuditBroker audit, Map<String, CredentialType> types, Clock clock,
                           RotationEngine engine, RotationLifecycle lifecycle) {
        this.storage = storage;
        this.audit = audit;
        this.types = Map.copyOf(types);
        this.clock = clock;
        this.engine = engine;
        this.lifecycle = lifecycle;
    }

    /** Sets (merging into the existing one) a secret's policy; the first policy needs interval and webhookUrl. */
    public SecretMetadata patchPolicy(RequestContext ctx, String identityId, String key, Map<String, String> patch) {
        return audited(ctx, "secret.rotation.policy", identityId, key, () -> update(ctx, identityId, key, current -> {
            Map<String, String> fields = RotationPolicy.fields(current.attributes());
            fields.putAll(patch);
            CredentialType type = types.get(current.type());
            if (type == null) {
                throw new VaultException(ErrorCode.UNKNOWN_TYPE, "credential type '" + current.type()
                        + "' is not enabled");
            }
            RotationPolicy policy = lifecycle.parse(fields, type);
            Map<String, String> a = LifecycleAttributes.copy(current.attributes());
            RotationPolicy.removeFrom(a);
            policy.writeTo(a);
            a.putIfAbsent(LifecycleAttributes.STATUS, LifecycleAttributes.OK);
            Instant base = LifecycleAttributes.instant(a, LAST_ROTATED_AT).orElse(current.createdAt());
            Instant now = clock.instant();
            lifecycle.schedule(a, current.ref(), policy, base, Optional.empty(), now);
            return a;
        }));
    }

    /** Removes a secret's policy (its expiry stays); an in-progress rotation is abandoned. */
    public SecretMetadata deletePolicy(RequestContext ctx, String identityId, String key) {
        return audited(ctx, "secret.rotation.policy", identityId, key, () -> update(ctx, identityId, key, current -> {
            if (!LifecycleAttributes.hasPolicy(current.attributes())) {
                throw new VaultException(ErrorCode.NOT_FOUND, "secret " + key + " has no rotation policy");
            }
            Map<String, String> a = LifecycleAttributes.copy(current.attributes());
            RotationPolicy.removeFrom(a);
            LifecycleAttributes.clearInProgress(a);
            a.remove(SCHEDULE_KEY);
            a.remove(LifecycleAttributes.NEXT_ROTATION_AT);
            a.remove(LifecycleAttributes.STATUS);
            a.remove(LifecycleAttributes.LAST_ERROR);
            return a;
        }));
    }

    /** Rotates now. */
    public SecretMetadata rotateNow(RequestContext ctx, String identityId, String key) {
        return audited(ctx, "secret.rotation.trigger", identityId, key, () -> {
            SecretRef ref = ref(ctx, identityId, key);
            for (int attempt = 0; ; attempt++) {
                SecretMetadata current = require(ref);
                if (!LifecycleAttributes.hasPolicy(current.attributes())) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "secret " + key + " has no rotation policy; "
                            + "set one with PATCH .../rotation");
                }
                try {
                    return engine.triggerNow(current);
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= WRITE_RETRIES) {
                        throw e;
                    }
                }
            }
        });
    }

    /** The secret's recent deliveries, oldest first. */
    public List<JsonNode> deliveries(RequestContext ctx, String identityId, String key) {
        return audited(ctx, "secret.rotation.deliveries", identityId, key, () -> {
            SecretRef ref = ref(ctx, identityId, key, Permission.SECRETS_LIST);
            require(ref);
            return engine.deliveries.list(ref);
        });
    }

    /** A new webhook signing secret for the caller's organization, shown this once. */
    public String rotateSigningSecret(RequestContext ctx) {
        return audited(ctx, "rotation.signing-secret.rotate", null, null, () -> {
            Authorizer.require(ctx, Permission.SECRETS_WRITE);
            return engine.signing.rotate(ctx.principal().organizationId(), clock.instant()).value();
        });
    }

    private SecretMetadata update(RequestContext ctx, String identityId, String key,
                                  java.util.function.Function<SecretMetadata, Map<String, String>> change) {
        SecretRef ref = ref(ctx, identityId, key);
        for (int attempt = 0; ; attempt++) {
            SecretMetadata current = require(ref);
            Map<String, String> a = change.apply(current);
            try {
                SecretMetadata stored = storage.updateSecretMetadata(new SecretMetadata(ref, current.type(),
                        current.currentVersion(), current.metadata(), a, current.createdAt(), clock.instant(),
                        current.revision()), current.revision());
                lifecycle.written(ctx, current, stored);
                return stored;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= WRITE_RETRIES) {
                    throw e;
                }
            }
        }
    }

    private SecretRef ref(RequestContext ctx, String identityId, String key) {
        return ref(ctx, identityId, key, Permission.SECRETS_WRITE);
    }

    private SecretRef ref(RequestContext ctx, String identityId, String key, Permission permission) {
        Names.identityId(identityId);
        Authorizer.require(ctx, permission, identityId);
        Names.secretKey(key);
        return new SecretRef(ctx.principal().organizationId(), identityId, key);
    }

    private SecretMetadata require(SecretRef ref) {
        return storage.getSecretMetadata(ref).orElseThrow(() -> new VaultException(ErrorCode.SECRET_NOT_FOUND,
                "identity " + ref.identityId() + " has no secret " + ref.key()));
    }

    /**
     * Runs {@code op} under the vault's audit rule: a state change (every action here but the deliveries
     * listing) records an {@code ATTEMPT} first and does not run when no sink takes it, then its outcome
     * with {@code details.attempt}; a read records one event after.
     */
    private <T> T audited(RequestContext ctx, String action, String identityId, String key, Supplier<T> op) {
        String safeIdentity = Names.isIdentityId(identityId) ? identityId : null;
        String safeKey = Names.isSecretKey(key) ? key : null;
        Map<String, String> details = new HashMap<>();
        if (!action.equals("secret.rotation.deliveries")) {
            AuditEvent attempt = event(ctx, action, AuditOutcome.ATTEMPT, safeIdentity, safeKey, null, null,
                    clock.instant(), Map.of());
            if (!audit.record(attempt)) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused and nothing was "
                        + "changed because no audit sink could record the attempt");
            }
            details.put("attempt", attempt.id());
        }
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            audit.record(event(ctx, action, e.errorCode() == ErrorCode.PERMISSION_DENIED ? AuditOutcome.DENIED
                    : AuditOutcome.FAILURE, safeIdentity, safeKey, null, e.errorCode().code(), clock.instant(), details));
            throw e;
        }
        Integer version = result instanceof SecretMetadata m ? m.currentVersion() : null;
        audit.recordOrFail(event(ctx, action, AuditOutcome.SUCCESS, identityId, key, version, null, clock.instant(),
                details));
        return result;
    }

    private AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                             Integer version, String errorCode, Instant now, Map<String, String> details) {
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome,
                ctx.principal().organizationId(), identityId, key, version, ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress(), errorCode, details);
    }
}
