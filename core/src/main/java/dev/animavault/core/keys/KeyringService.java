package dev.animavault.core.keys;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.KeyringView;
import dev.animavault.core.config.KeyringConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageChange;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keyring rotation: a new data key on demand ({@link #rotate}) and automatically (by the active key's age,
 * and when its durable encryption count reaches the threshold), token key rotation with a grace period,
 * the background re-encryption job ({@link ReencryptionJob}) and the status {@code GET /v1/sys/keyring}
 * shows.
 *
 * <p>Background work ({@link #start}): a ticker thread reads the keyring record every
 * {@code refresh-interval} (so this node picks up another node's rotation without restart, also pushed
 * sooner through {@link #changed} on a notifying backend) and rotates a key past its age; a job thread
 * runs the re-encryption when this node gets its lease. Every rotation is a conditional write naming the
 * key it replaces, so two nodes deciding at the same moment rotate once. Thread-safe; {@link #close}
 * is idempotent.
 */
public final class KeyringService implements AutoCloseable {
    /** Record namespace of the keyring's records. */
    static final String NAMESPACE = "sys";
    /** Audit actor of automatic rotations and the job. */
    static final String ACTOR = "system:keyring";
    private static final System.Logger LOG = System.getLogger(KeyringService.class.getName());

    /** Which key a rotation replaces. */
    public enum Which {
        /** The data key values and records are sealed with. */
        DATA,
        /** The token HMAC key. */
        TOKEN,
        /** The audit HMAC key (sensitive audit event fields); earlier versions are kept. */
        AUDIT
    }

    /** The outcome of a rotation: the active data key and token key version afterwards. */
    public record Rotated(Which which, int activeKey, int activeTokenKey, Instant retireOldAt) {
    }

    private final StorageBackend storage;
    private final Barrier barrier;
    private final AuditBroker audit;
    private final Clock clock;
    private final KeyringConfig config;
    private final String nodeId;
    private final ReencryptionJob job;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean countRotationRunning = new AtomicBoolean();
    private final Object wake = new Object();
    private volatile Thread ticker;
    private volatile Thread jobThread;

    /**
     * @param sealedNamespaces record namespaces whose records are sealed whole by {@link Barrier#sealRecord}
     */
    public KeyringService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit, Clock clock,
                          KeyringConfig config, List<String> sealedNamespaces) {
        this.storage = storage;
        this.barrier = barrier;
        this.audit = audit;
        this.clock = clock;
        this.config = config;
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.nodeId = "node-" + HexFormat.of().formatHex(id);
        this.job = new ReencryptionJob(storage, barrier, tokens, clock, config, nodeId, sealedNamespaces, closed::get,
                details -> auditSystem("keyring.keys.remove", details));
        barrier.configureUsage(config.reserveBlock(), config.rotateAtEncryptions(), this::countReached);
    }

    /** Starts the ticker and, when {@code vault.keyring.job.enabled}, the job thread. Idempotent. */
    public void start() {
        if (closed.get() || !started.compareAndSet(false, true)) {
            return;
        }
        ticker = Thread.ofVirtual().name("keyring-ticker").start(this::tick);
        if (config.jobEnabled()) {
            jobThread = Thread.ofVirtual().name("keyring-job").start(this::jobLoop);
        }
    }

    // ---------------------------------------------------------------- operations

    /**
     * Rotates the data key or the token key now. For the token key, the versions before it keep verifying
     * tokens until {@code retireOldAfter} from now (null: the configured {@code token-key-grace}); a token
     * used before then is re-hashed under the new key and keeps working.
     */
    public Rotated rotate(Which which, Duration retireOldAfter) {
        return switch (which) {
            case DATA -> {
                int before = barrier.activeKeyId();
                int after = barrier.rotateDataKey(before);
                LOG.log(System.Logger.Level.INFO, "Keyring rotated on request: data key {0} -> {1}", before, after);
                wakeUp();
                yield new Rotated(which, after, barrier.tokenKeyVersion(), null);
            }
            case TOKEN -> {
                Duration grace = retireOldAfter == null ? config.tokenKeyGrace() : retireOldAfter;
                if (grace.isNegative()) {
                    throw new VaultException(ErrorCode.INVALID_ARGUMENT, "retireOldAfter must not be negative");
                }
                Instant retire = clock.instant().plus(grace);
                int before = barrier.tokenKeyVersion();
                int after = barrier.rotateTokenKey(before, retire);
                LOG.log(System.Logger.Level.INFO, "Token key rotated on request: version {0} -> {1}; older versions "
                        + "retire at {2}", before, after, retire);
                wakeUp();
                yield new Rotated(which, barrier.activeKeyId(), after, retire);
            }
            case AUDIT -> {
                int before = barrier.auditKeyVersion();
                int after = barrier.rotateAuditKey(before);
                LOG.log(System.Logger.Level.INFO, "Audit key rotated on request: version {0} -> {1}", before, after);
                yield new Rotated(which, barrier.activeKeyId(), barrier.tokenKeyVersion(), null);
            }
        };
    }

    /** The active audit key version. */
    public int auditKeyVersion() {
        return barrier.auditKeyVersion();
    }

    /** The keyring (without key material) and the re-encryption job's progress. */
    public Map<String, Object> status() {
        KeyringView v = barrier.view();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("activeKey", v.activeKey());
        out.put("keys", v.keys().stream().map(k -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", k.id());
            m.put("created", k.created().toString());
            m.put("encryptions", k.encryptions());
            m.put("active", k.active());
            return m;
        }).toList());
        out.put("activeTokenKey", v.activeTokenKey());
        out.put("tokenKeys", v.tokenKeys().stream().map(t -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", t.version());
            m.put("created", t.created().toString());
            if (t.retiresAt() != null) {
                m.put("retiresAt", t.retiresAt().toString());
            }
            m.put("active", t.active());
            return m;
        }).toList());
        out.put("activeAuditKey", barrier.auditKeyVersion());
        out.put("auditKeys", barrier.auditKeyVersions());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("rotateAtEncryptions", v.rotateAtEncryptions());
        limits.put("hardLimit", v.hardLimit());
        limits.put("maxKeyAge", config.maxKeyAge().isZero() ? null : config.maxKeyAge().toString());
        out.put("limits", limits);
        out.put("reencryption", jobView(v, ReencryptionJob.stored(storage)));
        return out;
    }

    private static Map<String, Object> jobView(KeyringView v, Optional<JobState> stored) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean oldKeys = v.keys().size() > 1;
        if (stored.isEmpty() || stored.get().target() != v.activeKey()) {
            m.put("state", oldKeys ? "pending" : "idle");
            m.put("targetKey", v.activeKey());
            m.put("done", 0);
            m.put("total", 0);
            return m;
        }
        JobState s = stored.get();
        m.put("state", s.phase());
        m.put("targetKey", s.target());
        m.put("pass", s.pass());
        m.put("done", s.secretsDone());
        m.put("total", s.secretsTotal());
        m.put("versionsMoved", s.versionsMoved());
        m.put("recordsMoved", s.recordsMoved());
        m.put("startedAt", s.startedAt().toString());
        if (s.finishedAt() != null) {
            m.put("finishedAt", s.finishedAt().toString());
        }
        m.put("node", s.node());
        if (s.message() != null) {
            m.put("message", s.message());
        }
        return m;
    }

    /**
     * Tells this node about a write committed by any node: a change of the keyring record is picked up at
     * once (called on the backend's notification thread: only wakes the ticker).
     */
    public void changed(StorageChange change) {
        if (change.kind() == StorageChange.Kind.ANY || (change.kind() == StorageChange.Kind.RECORD
                && NAMESPACE.equals(change.scope()) && "keyring".equals(change.id()))) {
            wakeUp();
        }
    }

    // ---------------------------------------------------------------- automatic rotation

    // told by the barrier's counter on a sealing thread: rotate in the background, once at a time
    private void countReached(int keyId) {
        if (closed.get() || !countRotationRunning.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("keyring-count-rotation").start(() -> {
            try {
                autoRotate(keyId, "encryptions");
            } finally {
                countRotationRunning.set(false);
            }
        });
    }

    private void autoRotate(int keyId, String reason) {
        try {
            if (barrier.activeKeyId() != keyId) {
                return;
            }
            int after = barrier.rotateDataKey(keyId);
            if (after != keyId) {
                LOG.log(System.Logger.Level.INFO, "Keyring rotated automatically ({0}): data key {1} -> {2}", reason,
                        keyId, after);
                auditSystem("keyring.rotate", Map.of("reason", reason, "previousKey", Integer.toString(keyId),
                        "activeKey", Integer.toString(after)));
                wakeUp();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Automatic keyring rotation ({0}) failed; retried later: {1}", reason,
                    e.getMessage());
        }
    }

    private void tick() {
        while (!closed.get()) {
            try {
                barrier.refresh();
                if (config.jobEnabled() && !config.maxKeyAge().isZero()) {
                    KeyringView.DataKeyInfo active = barrier.view().active();
                    if (!active.created().plus(config.maxKeyAge()).isAfter(clock.instant())) {
                        autoRotate(active.id(), "age");
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Keyring refresh failed; retried: {0}", e.getMessage());
            }
            pause(config.refreshInterval());
        }
    }

    private void jobLoop() {
        while (!closed.get()) {
            try {
                job.runOnce();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "Keyring re-encryption stopped; retried: " + e, e);
            }
            pause(config.refreshInterval());
        }
    }

    private void pause(Duration d) {
        synchronized (wake) {
            try {
                wake.wait(Math.max(1, d.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed.set(true);
            }
        }
    }

    private void wakeUp() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void auditSystem(String action, Map<String, String> details) {
        Instant now = clock.instant();
        Map<String, String> d = new LinkedHashMap<>(details);
        d.put("node", nodeId);
        audit.record(new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, AuditOutcome.SUCCESS, null, null,
                null, null, ACTOR, "-", null, null, d));
    }

    /** Stops the background threads (the job stops at its next checkpoint). Idempotent. */
    @Override
    public void close() {
        closed.set(true);
        wakeUp();
        for (Thread t : new Thread[] {ticker, jobThread}) {
            if (t != null) {
                try {
                    t.join(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
