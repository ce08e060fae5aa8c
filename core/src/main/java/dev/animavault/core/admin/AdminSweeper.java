package dev.animavault.core.admin;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Deletes ended admin sessions and login challenges from storage. Verification already refuses them
 * (they are checked at each use); this only keeps the namespaces from growing with sessions nobody
 * logs out of and challenges nobody completes, e.g. a login flood with a right password.
 *
 * <p>Each {@link #sweep()} is bounded: at most {@value #PAGES_PER_SWEEP} pages of {@value #PAGE_SIZE}
 * records and {@value #DELETES_PER_SWEEP} deletions per namespace; a namespace longer than that is
 * walked over several sweeps (the position is kept between them). A background thread sweeps every
 * {@code interval} once {@link #start()}ed; {@link #close()} stops it. Each node may sweep: deletions
 * carry the record's revision, so two nodes deleting the same record, or a sweep racing a use, cost
 * nothing. Thread-safe (sweeps are serialized).
 */
public final class AdminSweeper implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AdminSweeper.class.getName());
    static final int PAGE_SIZE = 200;
    static final int PAGES_PER_SWEEP = 10;
    static final int DELETES_PER_SWEEP = 1_000;
    /** How often a serving node sweeps. */
    public static final Duration INTERVAL = Duration.ofMinutes(5);

    private final AdminSessions sessions;
    private final Clock clock;
    private final Duration interval;
    /** Where the next sweep continues, per namespace (absent: from the start). */
    private final java.util.Map<String, Optional<String>> cursors = new java.util.HashMap<>();
    private volatile Thread thread;
    private volatile boolean closed;

    /** What one sweep deleted. */
    public record Result(int sessions, int challenges) {
    }

    public AdminSweeper(AdminSessions sessions, Clock clock, Duration interval) {
        this.sessions = sessions;
        this.clock = clock;
        this.interval = interval;
    }

    /** One bounded pass over both namespaces at the clock's present. */
    public synchronized Result sweep() {
        return new Result(pass(AdminSessions.SESSIONS), pass(AdminSessions.CHALLENGES));
    }

    private int pass(String ns) {
        java.time.Instant now = clock.instant();
        int deleted = 0;
        for (int page = 0; page < PAGES_PER_SWEEP && deleted < DELETES_PER_SWEEP; page++) {
            AdminSessions.SweepPage p = sessions.sweepPage(ns, cursors.getOrDefault(ns, Optional.empty()), PAGE_SIZE,
                    DELETES_PER_SWEEP - deleted, now);
            deleted += p.deleted();
            cursors.put(ns, p.next());
            if (p.next().isEmpty()) {
                break; // the end of the namespace: the next sweep starts over
            }
        }
        return deleted;
    }

    /** Starts the periodic sweep on a daemon thread (a serving node). Idempotent. */
    public synchronized void start() {
        if (thread != null || closed) {
            return;
        }
        thread = Thread.ofVirtual().name("admin-sweeper").start(this::loop);
    }

    private void loop() {
        while (!closed) {
            LockSupport.parkNanos(interval.toNanos());
            if (closed) {
                return;
            }
            try {
                Result r = sweep();
                if (r.sessions() + r.challenges() > 0) {
                    LOG.log(System.Logger.Level.DEBUG, "admin sweep: " + r.sessions() + " ended sessions, "
                            + r.challenges() + " expired login challenges deleted");
                }
            } catch (RuntimeException e) {
                // sealed vault, storage down: try again next interval
                LOG.log(System.Logger.Level.WARNING, "admin sweep failed: " + e.getMessage());
            }
        }
    }

    /** Stops the periodic sweep. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
