package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.ATTEMPT;
import static dev.animavault.core.rotation.LifecycleAttributes.AWAITING;
import static dev.animavault.core.rotation.LifecycleAttributes.EXPIRES_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.FAILED;
import static dev.animavault.core.rotation.LifecycleAttributes.GRACE_UNTIL;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ERROR;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_OUTCOME;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ROTATED_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.NEXT_ROTATION_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.OK;
import static dev.animavault.core.rotation.LifecycleAttributes.PENDING_VERSION;
import static dev.animavault.core.rotation.LifecycleAttributes.PREVIOUS_VERSION;
import static dev.animavault.core.rotation.LifecycleAttributes.ROTATION_ID;
import static dev.animavault.core.rotation.LifecycleAttributes.SCHEDULE_KEY;
import static dev.animavault.core.rotation.LifecycleAttributes.STARTED_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.STATUS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.config.RotationConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredSecret;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The delivery step of a rotation and its outcomes, for the {@link RotationEngine} (which holds the
 * secret's lease and has started the rotation): the signed {@code secret.rotation.due} POST, logged and
 * audited, then <b>promote</b> (pending becomes current, the old current becomes previous until the grace
 * period ends, the next rotation is scheduled), <b>awaiting</b> (the receiver PUTs the value later),
 * <b>retry</b> later (backoff with jitter) or <b>fail</b> after the last attempt (the current value is
 * never touched). Every write is conditional on the revision read under the lease. Thread-safe.
 */
final class RotationDelivery {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RotationEngine engine;
    private final StorageBackend storage;
    private final Map<String, CredentialType> types;
    private final Clock clock;
    private final RotationConfig config;
    private final WebhookClient webhooks;

    RotationDelivery(RotationEngine engine, StorageBackend storage, Map<String, CredentialType> types, Clock clock,
                     RotationConfig config, WebhookClient webhooks) {
        this.engine = engine;
        this.storage = storage;
        this.types = types;
        this.clock = clock;
        this.config = config;
        this.webhooks = webhooks;
    }

    void deliver(SecretMetadata m, RotationPolicy policy, String entryKey) {
        Map<String, String> a = m.attributes();
        String rid = a.get(ROTATION_ID);
        int attempt = LifecycleAttributes.integer(a, ATTEMPT, 0) + 1;
        SecretRef ref = m.ref();
        Integer pending = policy.mode() == RotationMode.GENERATE ? LifecycleAttributes.integer(a, PENDING_VERSION, 0)
                : null;
        byte[] body = payload(m, policy, rid, pending);
        Instant at = clock.instant();
        WebhookClient.Result r;
        try {
            HaltPoints.reach(HaltPoints.DELIVER_BEFORE);
            r = webhooks.deliver(policy.webhookUrl(), rid, body,
                    engine.signing.current(ref.organizationId(), at).signingAt(at));
            HaltPoints.reach(HaltPoints.DELIVER_ANSWERED);
        } finally {
            Arrays.fill(body, (byte) 0);
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("webhookId", rid);
        d.put("event", "secret.rotation.due");
        d.put("attempt", attempt);
        d.put("at", LifecycleAttributes.iso(at));
        d.put("status", r.status());
        d.put("error", r.error());
        d.put("durationMs", r.millis());
        d.put("url", policy.webhookUrl().toString());
        engine.deliveries.append(ref, d);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("event", "secret.rotation.due");
        details.put("attempt", Integer.toString(attempt));
        details.put("status", Integer.toString(r.status()));
        if (r.error() != null) {
            details.put("error", r.error());
        }
        engine.auditEvent("secret.rotation.deliver", r.ok() ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE, ref,
                pending, rid, r.ok() ? null : ErrorCode.UPSTREAM_ERROR.code(), details);
        HaltPoints.reach(HaltPoints.DELIVER_AUDITED);
        if (!r.ok()) {
            retryOrFail(m, policy, attempt, r.error(), entryKey);
            return;
        }
        switch (policy.mode()) {
            case GENERATE -> promote(m, policy, entryKey, pending, null);
            case NOTIFY -> awaiting(m, entryKey);
            case WEBHOOK -> {
                if (r.status() == 202) {
                    awaiting(m, entryKey);
                    return;
                }
                SecretValue value = valueFrom(r.body());
                Arrays.fill(r.body(), (byte) 0);
                if (value == null) {
                    retryOrFail(m, policy, attempt, "2xx response has no JSON member 'value'", entryKey);
                    return;
                }
                try {
                    CredentialType type = types.get(m.type());
                    if (type != null) {
                        type.validate(value);
                    }
                    promote(m, policy, entryKey, null, value);
                } catch (VaultException e) {
                    retryOrFail(m, policy, attempt, "returned value refused: " + e.errorCode().code(), entryKey);
                } finally {
                    value.wipe();
                }
            }
        }
    }

    /** Makes the new version current, keeps the old one as previous, schedules the next rotation. */
    private void promote(SecretMetadata m, RotationPolicy policy, String entryKey, Integer pending, SecretValue value) {
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        String rid = a.get(ROTATION_ID);
        String attemptId = engine.auditAttempt("secret.rotation.promote", m.ref(), rid);
        HaltPoints.reach(HaltPoints.PROMOTE_ATTEMPT);
        Instant now = clock.instant();
        LifecycleAttributes.clearInProgress(a);
        a.remove(LAST_ERROR);
        a.put(STATUS, OK);
        a.put(PREVIOUS_VERSION, Integer.toString(m.currentVersion()));
        a.put(GRACE_UNTIL, LifecycleAttributes.iso(now.plus(policy.gracePeriod())));
        a.put(LAST_ROTATED_AT, LifecycleAttributes.iso(now));
        Instant expires = now.plus(policy.interval());
        Instant next = expires.minus(policy.leadTime());
        a.put(EXPIRES_AT, LifecycleAttributes.iso(expires));
        a.put(NEXT_ROTATION_AT, LifecycleAttributes.iso(next));
        a.put(SCHEDULE_KEY, engine.schedule.put(m.ref(), next));
        int newVersion = value == null ? pending : engine.nextVersion(m);
        a.put(LAST_OUTCOME, rid + " succeeded");
        Map<String, Object> data = eventData(m, rid);
        data.put("version", newVersion);
        data.put("previousVersion", m.currentVersion());
        data.put("previousReadableUntil", a.get(GRACE_UNTIL));
        data.put("expiresAt", a.get(EXPIRES_AT));
        data.put("nextRotationAt", a.get(NEXT_ROTATION_AT));
        // the event first (announced only once the secret shows this outcome), then the promotion
        engine.events.put(m.ref(), EventOutbox.SUCCEEDED, rid + ".succeeded", rid + " succeeded", 0, false,
                LifecycleAttributes.iso(now), data, startedAt(m, now));
        SecretMetadata stored;
        try {
            if (value == null) {
                stored = storage.updateSecretMetadata(engine.with(m, pending, a, now), m.revision());
            } else {
                int v = newVersion;
                a.put(PENDING_VERSION, Integer.toString(v));
                stored = storage.addVersion(engine.with(m, v, a, now), m.revision(),
                        new SecretVersion(m.ref(), v, engine.protect(m.ref(), v, value), now, RotationEngine.ACTOR));
            }
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.ALREADY_EXISTS) {
                engine.schedule.remove(a.get(SCHEDULE_KEY));
                return;
            }
            throw e;
        }
        HaltPoints.reach(HaltPoints.PROMOTE_COMMITTED);
        engine.schedule.remove(entryKey);
        engine.retiredVersionsWritten(stored);
        engine.auditEvent("secret.rotation.promote", AuditOutcome.SUCCESS, m.ref(), stored.currentVersion(), rid, null,
                Map.of("previousVersion", Integer.toString(m.currentVersion()), "attempt", attemptId));
        HaltPoints.reach(HaltPoints.PROMOTE_AUDITED);
    }

    private void awaiting(SecretMetadata m, String entryKey) {
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        a.put(STATUS, AWAITING);
        a.remove(SCHEDULE_KEY);
        if (engine.write(m, a)) {
            engine.schedule.remove(entryKey);
            engine.auditEvent("secret.rotation.awaiting", AuditOutcome.SUCCESS, m.ref(), null,
                    m.attributes().get(ROTATION_ID), null, Map.of());
        }
    }

    private void retryOrFail(SecretMetadata m, RotationPolicy policy, int attempt, String error, String entryKey) {
        if (attempt >= config.maxAttempts()) {
            fail(m, entryKey, error, attempt);
            return;
        }
        Duration delay = RotationEngine.jitter(config.retrySchedule().get(attempt - 1));
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        a.put(ATTEMPT, Integer.toString(attempt));
        a.put(LAST_ERROR, error);
        String key = engine.schedule.put(m.ref(), clock.instant().plus(delay));
        a.put(SCHEDULE_KEY, key);
        if (engine.write(m, a)) {
            engine.schedule.remove(entryKey);
        } else {
            engine.schedule.remove(key);
        }
    }

    void fail(SecretMetadata m, String entryKey, String error, Integer attempt) {
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        String rid = a.get(ROTATION_ID);
        a.put(STATUS, FAILED);
        a.put(LAST_ERROR, error);
        LifecycleAttributes.clearInProgress(a);
        a.remove(SCHEDULE_KEY);
        if (rid != null) {
            a.put(LAST_OUTCOME, rid + " failed");
            Instant now = clock.instant();
            Map<String, Object> data = eventData(m, rid);
            data.put("currentVersion", m.currentVersion());
            data.put("attempts", attempt);
            data.put("lastError", error);
            engine.events.put(m.ref(), EventOutbox.FAILED, rid + ".failed", rid + " failed", 0, false,
                    LifecycleAttributes.iso(now), data, startedAt(m, now));
        }
        if (engine.write(m, a)) {
            engine.schedule.remove(entryKey == null ? m.attributes().get(SCHEDULE_KEY) : entryKey);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("error", error);
            if (attempt != null) {
                details.put("attempts", Integer.toString(attempt));
            }
            engine.auditEvent("secret.rotation.fail", AuditOutcome.FAILURE, m.ref(), null, rid,
                    ErrorCode.UPSTREAM_ERROR.code(), details);
        }
    }

    private static Map<String, Object> eventData(SecretMetadata m, String rid) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("rotationId", rid);
        data.put("organizationId", m.ref().organizationId());
        data.put("identityId", m.ref().identityId());
        data.put("key", m.ref().key());
        data.put("type", m.type());
        return data;
    }

    private static Instant startedAt(SecretMetadata m, Instant fallback) {
        return LifecycleAttributes.instant(m.attributes(), STARTED_AT).orElse(fallback);
    }

    private byte[] payload(SecretMetadata m, RotationPolicy policy, String rid, Integer pending) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("rotationId", rid);
        data.put("organizationId", m.ref().organizationId());
        data.put("identityId", m.ref().identityId());
        data.put("key", m.ref().key());
        data.put("type", m.type());
        data.put("mode", policy.mode().wire());
        data.put("currentVersion", m.currentVersion());
        data.put("expiresAt", m.attributes().get(EXPIRES_AT));
        SecretValue value = null;
        if (pending != null) {
            data.put("version", pending);
            StoredSecret s = storage.readSecret(m.ref(), OptionalInt.of(pending)).orElseThrow(() -> new VaultException(
                    ErrorCode.SECRET_NOT_FOUND, "pending version " + pending + " of " + m.ref().key() + " is gone"));
            value = SecretValue.of(engine.unprotect(m.ref(), pending, s.version().value()));
            data.put("value", value.asUtf8());
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("type", "secret.rotation.due");
        // the rotation's start, not the attempt's time: every attempt sends the same body
        doc.put("timestamp", m.attributes().get(STARTED_AT));
        doc.put("data", data);
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a webhook payload", e);
        } finally {
            if (value != null) {
                value.wipe();
            }
        }
    }

    private static SecretValue valueFrom(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode v = n == null ? null : n.get("value");
            return v != null && v.isTextual() && !v.textValue().isEmpty() ? SecretValue.ofUtf8(v.textValue()) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
