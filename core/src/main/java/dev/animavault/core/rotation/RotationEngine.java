package dev.animavault.core.rotation;

import static dev.animavault.core.rotation.LifecycleAttributes.ATTEMPT;
import static dev.animavault.core.rotation.LifecycleAttributes.AWAITING;
import static dev.animavault.core.rotation.LifecycleAttributes.LAST_ERROR;
import static dev.animavault.core.rotation.LifecycleAttributes.OK;
import static dev.animavault.core.rotation.LifecycleAttributes.PENDING_VERSION;
import static dev.animavault.core.rotation.LifecycleAttributes.ROTATING;
import static dev.animavault.core.rotation.LifecycleAttributes.ROTATION_ID;
import static dev.animavault.core.rotation.LifecycleAttributes.SCHEDULE_KEY;
import static dev.animavault.core.rotation.LifecycleAttributes.STARTED_AT;
import static dev.animavault.core.rotation.LifecycleAttributes.STATUS;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.config.RotationConfig;
import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs due rotations. A scheduler on a virtual thread reads the due part of the {@link RotationSchedule}
 * every poll interval (or when woken), and runs each due entry on a virtual thread of its own under a
 * storage lease, so across vault processes sharing a store one process runs a given step. The same poll
 * runs due events ({@link EventDelivery}) and due sweeps of retired versions ({@link RetiredVersions}),
 * one task per secret at a time on this node.
 *
 * <p>Steps of one rotation, each idempotent under the rotation id (which is also the {@code webhook-id}
 * of every delivery attempt): <b>start</b> (here: a rotation id, and for {@code generate} the new value as
 * a pending version, in one conditional write), then <b>deliver</b> and its outcome (promote, awaiting,
 * retry or fail: {@link RotationDelivery}). A crash between steps resumes from the attributes: a started
 * rotation is delivered again with the same id and the same pending value.
 *
 * <p>Lifecycle: {@link #start()} once after the node is ready; {@link #close()} stops the scheduler and
 * waits briefly for running steps. Thread-safe.
 */
public final class RotationEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RotationEngine.class.getName());
    static final String ACTOR = "system:rotation";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_DUE_PER_POLL = 1000;
    /** How long a schedule entry that no secret names may still be waiting for its secret's write. */
    static final Duration STALE_AFTER = Duration.ofMinutes(1);

    private final StorageBackend storage;
    private final Barrier barrier;
    private final AuditBroker audit;
    private final Map<String, CredentialType> types;
    private final Clock clock;
    private final RotationConfig config;
    final RotationSchedule schedule;
    final SigningSecrets signing;
    final DeliveryLog deliveries;
    final EventOutbox events;
    private final WebhookClient webhooks;
    private final EventDelivery eventDelivery;
    private final RotationDelivery delivery;
    final RetiredVersions retired;
    private final String nodeId;
    private final Duration leaseTtl;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Thread poller;

    public RotationEngine(StorageBackend storage, Barrier barrier, AuditBroker audit, Map<String, CredentialType> types,
                          Clock clock, RotationConfig config, EgressPolicy egress) {
        this.storage = storage;
        this.barrier = barrier;
        this.audit = audit;
        this.types = Map.copyOf(types);
        this.clock = clock;
        this.config = config;
        this.schedule = new RotationSchedule(storage);
        this.signing = new SigningSecrets(storage, barrier);
        this.deliveries = new DeliveryLog(storage);
        this.events = new EventOutbox(storage);
        this.webhooks = new WebhookClient(egress, config.webhookTimeout(), clock);
        this.nodeId = "node-" + HexFormat.of().formatHex(randomBytes(8));
        // one step is at most a delivery (connect + response timeouts) plus a few storage writes; a node that
        // dies holding it delays that secret's rotation by this much (every write is conditional anyway)
        this.leaseTtl = config.webhookTimeout().multipliedBy(2).plusSeconds(10);
        this.eventDelivery = new EventDelivery(this, storage, config, clock, webhooks, nodeId, leaseTtl);
        this.delivery = new RotationDelivery(this, storage, this.types, clock, config, webhooks);
        this.retired = new RetiredVersions(storage, audit, clock, nodeId, leaseTtl);
    }

    /** Starts the scheduler (when {@code vault.rotation.enabled}); overdue rotations run at its first poll. */
    public void start() {
        if (!config.enabled() || !running.compareAndSet(false, true)) {
            return;
        }
        poller = Thread.ofVirtual().name("rotation-scheduler").start(this::loop);
    }

    /** Makes the scheduler poll now (after a policy change or a manual trigger). */
    public void wake() {
        Thread t = poller;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void loop() {
        while (running.get()) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "rotation scheduler poll failed: " + e.getMessage());
            }
            LockSupport.parkNanos(config.pollInterval().toNanos());
        }
    }

    /** Starts a worker for every due entry not already running here. Returns how many were started. */
    int pollOnce() {
        int started = 0;
        // one task per secret at a time on this node: steps and events of a secret share one lease, and a
        // lease taken again by its own owner would be released by whichever task ends first
        for (RotationSchedule.Entry e : schedule.due(clock.instant(), MAX_DUE_PER_POLL)) {
            String flight = RotationSchedule.refHash(e.ref());
            if (inFlight.add(flight)) {
                started++;
                workers.submit(() -> {
                    try {
                        process(e);
                    } catch (RuntimeException | Error ex) {
                        LOG.log(System.Logger.Level.WARNING, "rotation step for " + e.ref().identityId() + "/"
                                + e.ref().key() + " failed: " + ex);
                    } finally {
                        inFlight.remove(flight);
                    }
                });
            }
        }
        for (EventOutbox.Event e : events.due(clock.instant(), MAX_DUE_PER_POLL)) {
            String flight = RotationSchedule.refHash(e.ref());
            if (inFlight.add(flight)) {
                started++;
                workers.submit(() -> {
                    try {
                        eventDelivery.process(e);
                    } catch (RuntimeException | Error ex) {
                        LOG.log(System.Logger.Level.WARNING, "event delivery for " + e.ref().identityId() + "/"
                                + e.ref().key() + " failed: " + ex);
                    } finally {
                        inFlight.remove(flight);
                    }
                });
            }
        }
        for (RotationSchedule.Entry e : retired.due(clock.instant(), MAX_DUE_PER_POLL)) {
            String flight = RotationSchedule.refHash(e.ref());
            if (inFlight.add(flight)) {
                started++;
                workers.submit(() -> {
                    try {
                        retired.process(e);
                    } catch (RuntimeException | Error ex) {
                        LOG.log(System.Logger.Level.WARNING, "destroying retired versions of " + e.ref().identityId()
                                + "/" + e.ref().key() + " failed: " + ex);
                    } finally {
                        inFlight.remove(flight);
                    }
                });
            }
        }
        return started;
    }

    /**
     * After the secret was written with a new current version or policy: schedules the destruction of
     * its retired versions when its policy asks for it. Best effort.
     */
    void retiredVersionsWritten(SecretMetadata stored) {
        try {
            retired.scheduleIfNeeded(stored);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot schedule the destruction of retired versions of "
                    + stored.ref().identityId() + "/" + stored.ref().key() + ": " + e.getMessage());
        }
    }

    private void process(RotationSchedule.Entry entry) {
        Optional<Lease> lease = storage.tryAcquireLease("rotation/" + RotationSchedule.refHash(entry.ref()), nodeId,
                leaseTtl);
        if (lease.isEmpty()) {
            return; // another node runs this step
        }
        try {
            SecretMetadata m = storage.getSecretMetadata(entry.ref()).orElse(null);
            if (m == null || !entry.key().equals(m.attributes().get(SCHEDULE_KEY))) {
                // Not (or no longer) the secret's entry. The index is written before the secret, so a young
                // entry may belong to a write still in flight; it is stale once a later write of the secret
                // did not take it, or once it is older than any write can take.
                boolean settled = entry.written().isBefore(clock.instant().minus(STALE_AFTER));
                if (settled || (m != null && m.updatedAt().isAfter(entry.written()))) {
                    schedule.remove(entry.key());
                }
                return;
            }
            RotationPolicy policy = RotationPolicy.from(m.attributes());
            if (policy == null || AWAITING.equals(m.attributes().get(STATUS))) {
                schedule.remove(entry.key());
                return;
            }
            m = ensureStarted(m, policy);
            if (m != null) {
                delivery.deliver(m, policy, entry.key());
            }
        } finally {
            storage.releaseLease(lease.get());
        }
    }

    /** The rotation in progress, started now (id, pending version) if there is none. Null if superseded. */
    private SecretMetadata ensureStarted(SecretMetadata m, RotationPolicy policy) {
        if (m.attributes().containsKey(ROTATION_ID)) {
            return m;
        }
        Instant now = clock.instant();
        String rid = "rot_" + HexFormat.of().formatHex(randomBytes(12));
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        a.put(ROTATION_ID, rid);
        a.put(STARTED_AT, LifecycleAttributes.iso(now));
        a.put(ATTEMPT, "0");
        a.put(STATUS, ROTATING);
        a.remove(LAST_ERROR);
        SecretRef ref = m.ref();
        // no state change without an audit record: refused here (and retried at the next poll) when no sink takes it
        String attemptId = auditAttempt("secret.rotation.start", ref, rid);
        try {
            SecretMetadata stored;
            Integer pending = null;
            if (policy.mode() == RotationMode.GENERATE) {
                CredentialType type = types.get(m.type());
                Optional<SecretValue> value = type == null ? Optional.empty() : type.generate(Map.of());
                if (value.isEmpty()) {
                    delivery.fail(m, null, "credential type " + m.type() + " cannot generate a value", null);
                    return null;
                }
                pending = nextVersion(m);
                a.put(PENDING_VERSION, Integer.toString(pending));
                byte[] sealed = protect(ref, pending, value.get());
                value.get().wipe();
                stored = storage.addVersion(with(m, m.currentVersion(), a, now), m.revision(),
                        new SecretVersion(ref, pending, sealed, now, ACTOR));
            } else {
                stored = storage.updateSecretMetadata(with(m, m.currentVersion(), a, now), m.revision());
            }
            HaltPoints.reach(HaltPoints.START_COMMITTED);
            auditEvent("secret.rotation.start", AuditOutcome.SUCCESS, ref, pending, rid, null,
                    Map.of("mode", policy.mode().wire(), "attempt", attemptId));
            return stored;
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.ALREADY_EXISTS) {
                return null; // a client wrote first; the next poll sees the new state
            }
            throw e;
        }
    }

    /**
     * Schedules a rotation of {@code m} now (a manual trigger): a failed or awaiting rotation starts over
     * its delivery attempts; one in progress keeps its id. Returns the stored metadata.
     */
    SecretMetadata triggerNow(SecretMetadata m) {
        Map<String, String> a = LifecycleAttributes.copy(m.attributes());
        String old = a.get(SCHEDULE_KEY);
        a.put(SCHEDULE_KEY, schedule.put(m.ref(), clock.instant()));
        if (a.containsKey(ROTATION_ID)) {
            a.put(ATTEMPT, "0");
            a.put(STATUS, ROTATING);
        } else {
            a.put(STATUS, OK);
        }
        SecretMetadata stored = storage.updateSecretMetadata(with(m, m.currentVersion(), a, clock.instant()),
                m.revision());
        if (old != null) {
            schedule.remove(old);
        }
        wake();
        return stored;
    }

    /** Writes new attributes conditionally; false when a concurrent writer won (the rotation is superseded). */
    boolean write(SecretMetadata m, Map<String, String> a) {
        try {
            storage.updateSecretMetadata(with(m, m.currentVersion(), a, clock.instant()), m.revision());
            return true;
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.SECRET_NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    static SecretMetadata with(SecretMetadata m, int current, Map<String, String> a, Instant now) {
        return new SecretMetadata(m.ref(), m.type(), current, m.metadata(), a, m.createdAt(), now, m.revision());
    }

    static int nextVersion(SecretMetadata m) {
        return Math.max(m.currentVersion(), LifecycleAttributes.integer(m.attributes(), PENDING_VERSION, 0)) + 1;
    }

    byte[] protect(SecretRef ref, int version, SecretValue value) {
        byte[] plain = value.bytes();
        try {
            return storage.protection() == Protection.NONE ? barrier.seal(ref, version, plain) : plain.clone();
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    byte[] unprotect(SecretRef ref, int version, byte[] stored) {
        return storage.protection() == Protection.NONE ? barrier.open(ref, version, stored) : stored;
    }

    static Duration jitter(Duration d) {
        long ms = d.toMillis();
        long spread = ms / 10;
        return Duration.ofMillis(ms + (spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(-spread, spread + 1)));
    }

    /**
     * Records that a step is about to change the secret (outcome {@code ATTEMPT}) and returns the event's id;
     * throws {@code AUDIT_UNAVAILABLE} when no sink took it, so the step changes nothing.
     */
    String auditAttempt(String action, SecretRef ref, String rotationId) {
        Instant now = clock.instant();
        AuditEvent e = new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, AuditOutcome.ATTEMPT,
                ref.organizationId(), ref.identityId(), ref.key(), null, ACTOR, rotationId == null ? "-" : rotationId,
                null, null, Map.of("rotationId", rotationId == null ? "-" : rotationId, "node", nodeId));
        audit.recordOrFail(e);
        return e.id();
    }

    void auditEvent(String action, AuditOutcome outcome, SecretRef ref, Integer version, String rotationId,
                    String errorCode, Map<String, String> details) {
        Instant now = clock.instant();
        Map<String, String> d = new LinkedHashMap<>(details);
        if (rotationId != null) {
            d.put("rotationId", rotationId);
        }
        d.put("node", nodeId);
        audit.record(new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome, ref.organizationId(),
                ref.identityId(), ref.key(), version, ACTOR, rotationId == null ? "-" : rotationId, null, errorCode, d));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Stops the scheduler and waits up to the webhook timeout for running steps. Idempotent. */
    @Override
    public void close() {
        running.set(false);
        Thread t = poller;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.shutdown();
        try {
            workers.awaitTermination(config.webhookTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        webhooks.close();
    }
}
