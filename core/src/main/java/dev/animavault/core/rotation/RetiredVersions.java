package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.DESTROYED_BELOW;
import static dev.animavault.core.rotation.LifecycleAttributes.GRACE_UNTIL;
import static dev.animavault.core.rotation.LifecycleAttributes.PREVIOUS_VERSION;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Destroys retired versions of secrets whose policy says {@code retiredVersions: destroy}. A version is
 * retired once it is below the current one and is not the previous version within its grace period; so
 * after a rotation everything below the previous version can go at once, and the previous version goes
 * when its grace period ends.
 *
 * <p>Due sweeps are a second schedule index ({@value #NAMESPACE}, same layout as the rotation schedule),
 * written after each promotion, client PUT or policy change of such a secret, due when the grace period
 * ends. An entry is only a hint: the sweep derives what to destroy from the secret's metadata, so a stale
 * or repeated entry destroys nothing more. A sweep runs under the secret's rotation lease (one node, never
 * beside a rotation step of the same secret), destroys each version through
 * {@link StorageBackend#destroyVersion} (idempotent) with an audit ATTEMPT before and the outcome after,
 * then records {@link LifecycleAttributes#DESTROYED_BELOW} with a conditional write; a crash in between
 * leaves the entry, and the next sweep finds the versions already gone and records them. Reads of a
 * destroyed version answer 410 {@code version_destroyed} (see {@link LifecycleAttributes#destroyed}).
 *
 * <p>A backend that cannot destroy one version (the SPI default refuses with {@code UNAVAILABLE}) keeps
 * them: the sweep audits that once per entry and drops it. Thread-safe.
 */
final class RetiredVersions {
    private static final System.Logger LOG = System.getLogger(RetiredVersions.class.getName());
    static final String NAMESPACE = "rotation-retire";
    static final String ACTION = "secret.version.destroy";

    private final StorageBackend storage;
    private final AuditBroker audit;
    private final Clock clock;
    private final String nodeId;
    private final Duration leaseTtl;
    final RotationSchedule schedule;

    RetiredVersions(StorageBackend storage, AuditBroker audit, Clock clock, String nodeId, Duration leaseTtl) {
        this.storage = storage;
        this.audit = audit;
        this.clock = clock;
        this.nodeId = nodeId;
        this.leaseTtl = leaseTtl;
        this.schedule = new RotationSchedule(storage, NAMESPACE);
    }

    /**
     * Writes a sweep entry for a secret just written, when its policy destroys retired versions and some
     * version below the current one is not destroyed yet: due now, or when the previous version's grace
     * period ends. Best effort (a missed entry is written again by the secret's next rotation).
     */
    void scheduleIfNeeded(SecretMetadata m) {
        Map<String, String> a = m.attributes();
        if (!RotationPolicy.destroysRetired(a)
                || LifecycleAttributes.integer(a, DESTROYED_BELOW, 1) >= m.currentVersion()) {
            return;
        }
        Instant now = clock.instant();
        Instant due = graceUntil(m).filter(now::isBefore).orElse(now);
        // below the previous version there may be something to destroy at once
        if (due.isAfter(now) && LifecycleAttributes.integer(a, DESTROYED_BELOW, 1) < previous(m)) {
            schedule.put(m.ref(), now);
        }
        schedule.put(m.ref(), due);
    }

    List<RotationSchedule.Entry> due(Instant now, int max) {
        return schedule.due(now, max);
    }

    /** Runs one due entry: destroys what is retired now and records it. */
    void process(RotationSchedule.Entry entry) {
        Optional<Lease> lease = storage.tryAcquireLease("rotation/" + RotationSchedule.refHash(entry.ref()), nodeId,
                leaseTtl);
        if (lease.isEmpty()) {
            return; // another node works on this secret
        }
        try {
            if (sweep(entry.ref())) {
                schedule.remove(entry.key());
            }
        } finally {
            storage.releaseLease(lease.get());
        }
    }

    /** True when the entry is done with (everything retired is destroyed, or nothing can be). */
    private boolean sweep(SecretRef ref) {
        SecretMetadata m = storage.getSecretMetadata(ref).orElse(null);
        if (m == null || !RotationPolicy.destroysRetired(m.attributes())) {
            return true;
        }
        Instant now = clock.instant();
        boolean inGrace = graceUntil(m).map(now::isBefore).orElse(false);
        // retired: everything below the current version except the previous one while in its grace period
        int floor = inGrace ? Math.min(previous(m), m.currentVersion()) : m.currentVersion();
        int from = LifecycleAttributes.integer(m.attributes(), DESTROYED_BELOW, 1);
        if (from >= floor) {
            return true;
        }
        for (int v = from; v < floor; v++) {
            AuditEvent attempt = event(ref, v, AuditOutcome.ATTEMPT, null, Map.of());
            audit.recordOrFail(attempt); // no destruction without a record of it
            boolean removed;
            try {
                removed = storage.destroyVersion(ref, v);
            } catch (VaultException e) {
                audit.record(event(ref, v, AuditOutcome.FAILURE, e.errorCode().code(),
                        Map.of("attempt", attempt.id(), "error", e.getMessage() == null ? "" : e.getMessage())));
                if (e.errorCode() == ErrorCode.UNAVAILABLE) {
                    LOG.log(System.Logger.Level.WARNING, "retired versions of " + ref.identityId() + "/" + ref.key()
                            + " are kept: " + e.getMessage());
                    return true; // this backend keeps versions
                }
                if (e.errorCode() == ErrorCode.INVALID_ARGUMENT) {
                    return false; // the current version moved under us: the next sweep looks again
                }
                throw e;
            }
            audit.record(event(ref, v, AuditOutcome.SUCCESS, null,
                    Map.of("attempt", attempt.id(), "removed", Boolean.toString(removed))));
        }
        HaltPoints.reach(HaltPoints.DESTROY_BEFORE_RECORD);
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        a.put(DESTROYED_BELOW, Integer.toString(floor));
        try {
            storage.updateSecretMetadata(new SecretMetadata(m.ref(), m.type(), m.currentVersion(), m.metadata(), a,
                    m.createdAt(), now, m.revision()), m.revision());
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.SECRET_NOT_FOUND) {
                return false; // a client wrote meanwhile; the entry stays and the next poll records it
            }
            throw e;
        }
        if (inGrace) {
            schedule.put(ref, graceUntil(m).orElse(now)); // the previous version goes when its grace ends
        }
        return true;
    }

    private AuditEvent event(SecretRef ref, int version, AuditOutcome outcome, String errorCode,
                             Map<String, String> details) {
        Instant now = clock.instant();
        Map<String, String> d = new java.util.LinkedHashMap<>(details);
        d.put("node", nodeId);
        d.put("reason", "retired");
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, ACTION, outcome, ref.organizationId(),
                ref.identityId(), ref.key(), version, RotationEngine.ACTOR, "-", null, errorCode, d);
    }

    private static Optional<Instant> graceUntil(SecretMetadata m) {
        return m.attributes().containsKey(PREVIOUS_VERSION)
                ? LifecycleAttributes.instant(m.attributes(), GRACE_UNTIL) : Optional.empty();
    }

    private static int previous(SecretMetadata m) {
        return LifecycleAttributes.integer(m.attributes(), PREVIOUS_VERSION, m.currentVersion());
    }
}
