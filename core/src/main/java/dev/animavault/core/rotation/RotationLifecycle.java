package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.EXPIRES_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.GRACE_UNTIL;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ERROR;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ROTATED_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.NEXT_ROTATION_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.OK;
import static dev.animavault.core.rotation.LifecycleAttributes.PREVIOUS_VERSION;
import static dev.animavault.core.rotation.LifecycleAttributes.SCHEDULE_KEY;
import static dev.animavault.core.rotation.LifecycleAttributes.STATUS;

import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.core.service.RequestContext;
import dev.animavault.core.service.SecretLifecycle;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The rotation side of secret writes: validates a policy sent on create or PUT, computes expiry and the
 * next rotation, writes the schedule entry, and answers which old versions agents may read. A client's
 * PUT of a new value on a secret with a policy counts as a rotation (the previous version gets its
 * grace period and the next rotation moves). Thread-safe.
 */
public final class RotationLifecycle implements SecretLifecycle {
    private final RotationEngine engine;
    private final RotationConfig config;
    private final List<String> egressAllow;
    private final EgressPolicy egress;
    private final String defaultType;

    public RotationLifecycle(RotationEngine engine, RotationConfig config, List<String> egressAllow, EgressPolicy egress,
                             String defaultType) {
        this.engine = Objects.requireNonNull(engine, "engine is null");
        this.config = config;
        this.egressAllow = List.copyOf(egressAllow);
        this.egress = egress;
        this.defaultType = defaultType;
    }

    @Override
    public Optional<String> defaultType() {
        return Optional.ofNullable(defaultType);
    }

    RotationPolicy parse(Map<String, String> fields, CredentialType type) {
        return RotationPolicy.parse(fields, config, egressAllow, egress, canGenerate(type));
    }

    static boolean canGenerate(CredentialType type) {
        Optional<SecretValue> probe = type.generate(Map.of());
        probe.ifPresent(SecretValue::wipe);
        return probe.isPresent();
    }

    @Override
    public Map<String, String> forCreate(SecretRef ref, CredentialType type, Request request, Instant now) {
        Map<String, String> a = new java.util.HashMap<>();
        Optional<Instant> expiresAt = request.expiresAt().map(s -> expiry(s, now));
        if (request.rotation().isPresent()) {
            RotationPolicy policy = parse(request.rotation().get(), type);
            policy.writeTo(a);
            a.put(STATUS, OK);
            schedule(a, ref, policy, now, expiresAt, now);
        } else {
            expiresAt.ifPresent(t -> {
                a.put(EXPIRES_AT, LifecycleAttributes.iso(t));
                expiring(ref, type, t, now);
            });
        }
        return a;
    }

    /**
     * Writes the {@code secret.expiring} event of a secret with a plain expiry (index first, like the
     * schedule: harmless if the write then fails, as it is delivered only while the secret shows this
     * expiry). One per secret and expiry: its webhook-id is derived from both.
     */
    private void expiring(SecretRef ref, CredentialType type, Instant expires, Instant now) {
        if (config.expiringWebhookUrl() == null) {
            return;
        }
        Map<String, Object> data = new java.util.LinkedHashMap<>();
        data.put("organizationId", ref.organizationId());
        data.put("identityId", ref.identityId());
        data.put("key", ref.key());
        data.put("type", type.id());
        data.put("expiresAt", LifecycleAttributes.iso(expires));
        Instant due = expires.minus(config.expiringLeadTime());
        String id = "exp_" + RotationSchedule.refHash(ref).substring(0, 16) + "_" + expires.toEpochMilli();
        engine.events.put(ref, EventOutbox.EXPIRING, id, LifecycleAttributes.iso(expires), 0, false,
                LifecycleAttributes.iso(now), data, due.isBefore(now) ? now : due);
    }

    @Override
    public Map<String, String> forNewVersion(SecretMetadata current, CredentialType type, Request request, Instant now) {
        Map<String, String> a = LifecycleAttributes.copy(current.attributes());
        Optional<Instant> expiresAt = request.expiresAt().map(s -> expiry(s, now));
        if (request.rotation().isPresent()) {
            RotationPolicy.removeFrom(a);
            parse(request.rotation().get(), type).writeTo(a);
        }
        RotationPolicy policy = RotationPolicy.from(a);
        if (policy == null) {
            expiresAt.ifPresent(t -> {
                a.put(EXPIRES_AT, LifecycleAttributes.iso(t));
                expiring(current.ref(), type, t, now);
            });
            return a;
        }
        // a new value from a client is a rotation: it ends any rotation in progress
        a.put(PREVIOUS_VERSION, Integer.toString(current.currentVersion()));
        a.put(GRACE_UNTIL, LifecycleAttributes.iso(now.plus(policy.gracePeriod())));
        a.put(LAST_ROTATED_AT, LifecycleAttributes.iso(now));
        LifecycleAttributes.clearInProgress(a);
        a.remove(LAST_ERROR);
        a.put(STATUS, OK);
        schedule(a, current.ref(), policy, now, expiresAt, now);
        return a;
    }

    /** Sets expiry and next rotation from {@code base} and writes the schedule entry (index first). */
    void schedule(Map<String, String> a, SecretRef ref, RotationPolicy policy, Instant base,
                  Optional<Instant> explicitExpiry, Instant notBefore) {
        Instant expires = explicitExpiry.orElse(base.plus(policy.interval()));
        Instant next = expires.minus(policy.leadTime());
        if (next.isBefore(notBefore)) {
            next = notBefore;
        }
        a.put(EXPIRES_AT, LifecycleAttributes.iso(expires));
        a.put(NEXT_ROTATION_AT, LifecycleAttributes.iso(next));
        a.put(SCHEDULE_KEY, engine.schedule.put(ref, next));
    }

    @Override
    public void written(RequestContext ctx, SecretMetadata before, SecretMetadata after) {
        String old = before == null ? null : before.attributes().get(SCHEDULE_KEY);
        if (old != null && !old.equals(after.attributes().get(SCHEDULE_KEY))) {
            try {
                engine.schedule.remove(old);
            } catch (RuntimeException e) {
                // a stale entry is dropped when the scheduler meets it
            }
        }
        Map<String, String> was = before == null ? Map.of() : RotationPolicy.fields(before.attributes());
        Map<String, String> now = RotationPolicy.fields(after.attributes());
        if (!was.equals(now)) {
            engine.auditEvent("secret.rotation.policy", AuditOutcome.SUCCESS, after.ref(), null, null, null,
                    now.isEmpty() ? Map.of("policy", "removed") : policyDetails(now, ctx));
        }
        engine.retiredVersionsWritten(after);
        if (after.attributes().containsKey(SCHEDULE_KEY)) {
            engine.wake();
        }
    }

    static Map<String, String> policyDetails(Map<String, String> fields, RequestContext ctx) {
        Map<String, String> d = new java.util.LinkedHashMap<>(fields);
        d.put("changedBy", ctx.principal().actor());
        d.put("requestId", ctx.requestId());
        return d;
    }

    @Override
    public void deleted(SecretMetadata last) {
        try {
            engine.schedule.remove(last.attributes().get(SCHEDULE_KEY));
            engine.deliveries.clear(last.ref());
        } catch (RuntimeException e) {
            // a stale schedule entry is dropped when met; a delivery log is only ever read with its secret
        }
    }

    @Override
    public boolean identityMayRead(SecretMetadata metadata, int version, Instant now) {
        return LifecycleAttributes.identityMayRead(metadata, version, now);
    }

    @Override
    public boolean destroyed(SecretMetadata metadata, int version, boolean stored) {
        return LifecycleAttributes.destroyed(metadata, version, stored);
    }

    private static Instant expiry(String text, Instant now) {
        Instant t;
        try {
            t = Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw RotationPolicy.bad("expiresAt must be an ISO-8601 instant such as 2030-01-31T00:00:00Z");
        }
        if (!t.isAfter(now)) {
            throw RotationPolicy.bad("expiresAt must be in the future");
        }
        return t;
    }
}
