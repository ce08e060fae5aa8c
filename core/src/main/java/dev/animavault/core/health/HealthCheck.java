package dev.animavault.core.health;

import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.storage.StorageBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Checks what health claims: that storage answers (through {@link StorageBackend#probe()}, a real round
 * trip, never an in-memory index) and what each audit sink reports ({@link AuditSink#health()}).
 *
 * <p>Health is anonymous and may be polled hard; the checks reach storage, so one result serves every
 * caller for {@link #MAX_AGE_NANOS} and only one caller at a time runs the checks (the others wait for its
 * result). Failure details for storage are generic (they may name hosts); the real reason is logged once
 * per change of state. Thread-safe.
 */
public final class HealthCheck {
    private static final System.Logger LOG = System.getLogger(HealthCheck.class.getName());
    /** How long a result is reused. */
    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The state of one check or of the whole. */
    public enum Status {
        OK, DEGRADED, UNAVAILABLE;

        /** The lower-case name health prints. */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** An audit sink with the type name configuration gave it. */
    public record Sink(String type, AuditSink sink) {
        public Sink {
            Objects.requireNonNull(type, "type is null");
            Objects.requireNonNull(sink, "sink is null");
        }
    }

    /**
     * One health result.
     *
     * @param status  UNAVAILABLE when storage does not answer or no audit sink can record; DEGRADED when a
     *                sink needs attention or one of several is down; else OK
     * @param storage the storage check
     * @param audit   each sink's state, in configuration order
     * @param problems what is wrong, one short sentence each (empty when OK)
     * @param storageDownSince when storage stopped answering (the first failed probe of this outage), or null
     * @param storageError    the stable error code of the last failed probe (never a host or a message), or null
     */
    public record Report(Status status, String storageType, Status storage, List<Map<String, Object>> audit,
                         List<String> problems, java.time.Instant storageDownSince, String storageError) {
        /** The JSON body health answers. */
        public Map<String, Object> body() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", status.text());
            m.put("storage", storageType);
            Map<String, Object> checks = new LinkedHashMap<>();
            Map<String, Object> storageCheck = new LinkedHashMap<>();
            storageCheck.put("type", storageType);
            storageCheck.put("status", storage.text());
            if (storageDownSince != null) {
                storageCheck.put("since", storageDownSince.toString());
                storageCheck.put("error", storageError);
            }
            checks.put("storage", storageCheck);
            checks.put("audit", audit);
            m.put("checks", checks);
            if (!problems.isEmpty()) {
                m.put("problems", problems);
            }
            return m;
        }
    }

    private final StorageBackend storage;
    private final String storageType;
    private final List<Sink> sinks;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Report last;
    private volatile long lastAt;
    private boolean storageWasDown; // guarded by lock
    private java.time.Instant storageDownSince; // guarded by lock
    private String storageError; // guarded by lock

    public HealthCheck(StorageBackend storage, String storageType, List<Sink> sinks) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.storageType = Objects.requireNonNull(storageType, "storageType is null");
        this.sinks = List.copyOf(sinks);
    }

    /** The current health (at most {@link #MAX_AGE_NANOS} old). */
    public Report check() {
        Report r = last;
        if (r != null && System.nanoTime() - lastAt < MAX_AGE_NANOS) {
            return r;
        }
        lock.lock();
        try {
            r = last;
            if (r != null && System.nanoTime() - lastAt < MAX_AGE_NANOS) {
                return r;
            }
            r = run();
            last = r;
            lastAt = System.nanoTime();
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Runs the checks now, ignoring a cached result (tests). */
    public Report checkNow() {
        lock.lock();
        try {
            Report r = run();
            last = r;
            lastAt = System.nanoTime();
            return r;
        } finally {
            lock.unlock();
        }
    }

    private Report run() {
        List<String> problems = new ArrayList<>();
        Status storageStatus = Status.OK;
        try {
            storage.probe();
            if (storageWasDown) {
                LOG.log(System.Logger.Level.INFO, "Health: storage {0} answers again", storageType);
                storageWasDown = false;
            }
            storageDownSince = null;
            storageError = null;
        } catch (RuntimeException e) {
            storageStatus = Status.UNAVAILABLE;
            if (storageDownSince == null) {
                storageDownSince = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            }
            storageError = e instanceof dev.animavault.spi.VaultException ve ? ve.errorCode().code()
                    : "storage_unavailable";
            problems.add("storage (" + storageType + ") is not reachable since " + storageDownSince + " ("
                    + storageError + ")");
            if (!storageWasDown) {
                LOG.log(System.Logger.Level.WARNING, "Health: storage {0} does not answer its probe: {1}", storageType,
                        e.getMessage());
                storageWasDown = true;
            }
        }
        List<Map<String, Object>> audit = new ArrayList<>();
        int usable = 0;
        int down = 0;
        boolean degraded = false;
        for (int i = 0; i < sinks.size(); i++) {
            Sink s = sinks.get(i);
            AuditSinkHealth h;
            try {
                h = s.sink().health();
            } catch (RuntimeException e) {
                h = AuditSinkHealth.unavailable("the sink's health check failed");
            }
            Status st = switch (h.state()) {
                case OK -> Status.OK;
                case DEGRADED -> Status.DEGRADED;
                case UNAVAILABLE -> Status.UNAVAILABLE;
            };
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", s.type());
            entry.put("status", st.text());
            if (h.detail() != null) {
                entry.put("detail", h.detail());
                problems.add("audit sink " + i + " (" + s.type() + "): " + h.detail());
            }
            audit.add(entry);
            if (st == Status.UNAVAILABLE) {
                down++;
            } else {
                usable++;
                degraded |= st == Status.DEGRADED;
            }
        }
        Status overall;
        if (storageStatus == Status.UNAVAILABLE || usable == 0) {
            overall = Status.UNAVAILABLE;
            if (usable == 0 && !sinks.isEmpty()) {
                problems.add("no audit sink can record events: requests that need an audit record are refused");
            }
        } else if (down > 0 || degraded) {
            overall = Status.DEGRADED;
        } else {
            overall = Status.OK;
        }
        return new Report(overall, storageType, storageStatus, List.copyOf(audit), List.copyOf(problems),
                storageDownSince, storageError);
    }
}
