package dev.animavault.core.rotation;

import dev.animavault.spi.Timestamps;
import dev.animavault.spi.storage.SecretMetadata;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The secret metadata attributes that hold a secret's lifecycle. Decision: the policy and its state live
 * in {@link SecretMetadata#attributes()} (core-managed, round-tripped by every backend, read together
 * with the value in one round trip), not in a record of their own, so the read path can judge a
 * version's readability from what it already read, and a policy change is one conditional write with
 * the secret. Values are ISO-8601 (durations and instants) or plain strings; never a secret value.
 */
public final class LifecycleAttributes {
    // the policy
    public static final String INTERVAL = "rotation.interval";
    public static final String WEBHOOK_URL = "rotation.webhookUrl";
    public static final String LEAD_TIME = "rotation.leadTime";
    public static final String GRACE_PERIOD = "rotation.gracePeriod";
    public static final String MODE = "rotation.mode";
    /** {@code keep} or {@code destroy}: what happens to retired versions. */
    public static final String RETIRED_VERSIONS = "rotation.retiredVersions";
    // times
    public static final String EXPIRES_AT = "expiresAt";
    public static final String NEXT_ROTATION_AT = "rotation.nextRotationAt";
    public static final String LAST_ROTATED_AT = "rotation.lastRotatedAt";
    // state
    public static final String STATUS = "rotation.status";
    public static final String LAST_ERROR = "rotation.lastError";
    public static final String ROTATION_ID = "rotation.id";
    public static final String STARTED_AT = "rotation.startedAt";
    public static final String ATTEMPT = "rotation.attempt";
    public static final String SCHEDULE_KEY = "rotation.schedule";
    public static final String PREVIOUS_VERSION = "rotation.previousVersion";
    public static final String GRACE_UNTIL = "rotation.graceUntil";
    /** {@code <rotation id> succeeded|failed}: how the last rotation ended (its events are checked against it). */
    public static final String LAST_OUTCOME = "rotation.lastOutcome";
    /** Every version below this number has been destroyed (written after the destruction). */
    public static final String DESTROYED_BELOW = "rotation.destroyedBelow";
    /** Shared with VaultService, which numbers new versions past it. */
    public static final String PENDING_VERSION = "pendingVersion";

    /** Stored status values. */
    public static final String OK = "ok";
    public static final String ROTATING = "rotating";
    public static final String AWAITING = "awaiting";
    public static final String FAILED = "failed";

    private LifecycleAttributes() {
    }

    static boolean hasPolicy(Map<String, String> a) {
        return a.containsKey(INTERVAL);
    }

    static Optional<Instant> instant(Map<String, String> a, String key) {
        String v = a.get(key);
        return v == null ? Optional.empty() : Optional.of(Instant.parse(v));
    }

    static int integer(Map<String, String> a, String key, int fallback) {
        String v = a.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static String iso(Instant t) {
        return Timestamps.iso(t);
    }

    /** A mutable copy. */
    static Map<String, String> copy(Map<String, String> a) {
        return new HashMap<>(a);
    }

    /** Removes the state of a rotation in progress. */
    static void clearInProgress(Map<String, String> a) {
        a.remove(ROTATION_ID);
        a.remove(STARTED_AT);
        a.remove(ATTEMPT);
    }

    /**
     * The status a client sees: {@code failed} and {@code rotating} as stored, else {@code expired} past
     * {@code expiresAt}, {@code due} past {@code nextRotationAt}, else {@code ok}.
     */
    public static String status(Map<String, String> a, Instant now) {
        String stored = a.getOrDefault(STATUS, OK);
        if (stored.equals(FAILED)) {
            return FAILED;
        }
        if (stored.equals(ROTATING) || stored.equals(AWAITING)) {
            return ROTATING;
        }
        if (instant(a, EXPIRES_AT).map(t -> !now.isBefore(t)).orElse(false)) {
            return "expired";
        }
        if (instant(a, NEXT_ROTATION_AT).map(t -> !now.isBefore(t)).orElse(false)) {
            return "due";
        }
        return OK;
    }

    /**
     * The {@code rotation} member of a secret's metadata view, or empty when the secret has neither a
     * policy nor an expiry. Never a value.
     */
    public static Optional<Map<String, Object>> view(SecretMetadata m, Instant now) {
        Map<String, String> a = m.attributes();
        if (!hasPolicy(a) && !a.containsKey(EXPIRES_AT)) {
            return Optional.empty();
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("interval", a.get(INTERVAL));
        if (hasPolicy(a)) {
            v.put("webhookUrl", a.get(WEBHOOK_URL));
            v.put("mode", a.get(MODE));
            v.put("leadTime", a.get(LEAD_TIME));
            v.put("gracePeriod", a.get(GRACE_PERIOD));
            v.put("retiredVersions", a.getOrDefault(RETIRED_VERSIONS, RotationPolicy.KEEP));
        }
        v.put("nextRotationAt", a.get(NEXT_ROTATION_AT));
        v.put("expiresAt", a.get(EXPIRES_AT));
        v.put("lastRotatedAt", a.get(LAST_ROTATED_AT));
        v.put("status", status(a, now));
        if (a.containsKey(LAST_ERROR)) {
            v.put("lastError", a.get(LAST_ERROR));
        }
        if (a.containsKey(PENDING_VERSION) && a.containsKey(ROTATION_ID)) {
            v.put("pendingVersion", integer(a, PENDING_VERSION, 0));
        }
        if (a.containsKey(PREVIOUS_VERSION)) {
            v.put("previousVersion", integer(a, PREVIOUS_VERSION, 0));
            v.put("previousReadableUntil", a.get(GRACE_UNTIL));
        }
        if (a.containsKey(DESTROYED_BELOW)) {
            v.put("destroyedBelow", integer(a, DESTROYED_BELOW, 1));
        }
        return Optional.of(v);
    }

    /**
     * Whether an identity token may read a version other than the current one: never a pending one
     * (above current); on a secret that has rotated under a policy, only the previous version and only
     * until its grace period ends; on other secrets every older version, as before rotation existed.
     */
    static boolean identityMayRead(SecretMetadata m, int version, Instant now) {
        if (version > m.currentVersion()) {
            return false;
        }
        Map<String, String> a = m.attributes();
        String previous = a.get(PREVIOUS_VERSION);
        if (previous == null) {
            return !hasPolicy(a);
        }
        return previous.equals(Integer.toString(version))
                && instant(a, GRACE_UNTIL).map(now::isBefore).orElse(false);
    }

    /**
     * Whether {@code version} of a secret has been destroyed, judged from metadata only (no storage
     * access). {@code stored} says whether the read found the version: a found one is destroyed only when
     * below the recorded {@link #DESTROYED_BELOW} (it is still being swept); a missing one below the current
     * version of a secret whose policy destroys retired versions was destroyed by a sweep that has not
     * recorded it yet (versions are numbered without gaps, and nothing else removes one).
     */
    static boolean destroyed(SecretMetadata m, int version, boolean stored) {
        Map<String, String> a = m.attributes();
        if (version < 1 || version >= m.currentVersion()) {
            return false;
        }
        if (version < integer(a, DESTROYED_BELOW, 1)) {
            return true;
        }
        return !stored && RotationPolicy.destroysRetired(a);
    }

    static Duration duration(Map<String, String> a, String key) {
        return Duration.parse(a.get(key));
    }
}
