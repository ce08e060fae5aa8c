package dev.animavault.plugin.audit.file;

/**
 * When {@link Preallocator}'s downcall handles are made. Making them costs the JDK ~0.1-0.3 s of CPU (it
 * generates and compiles classes with its class-file API), which a vault starting on 2 cores pays against
 * its time to healthy, while reserving blocks ahead only matters once appends have run for a while. So a
 * server start ({@link FileAuditSinkFactory#warmUp}) {@linkplain #defer() defers} them: they are made
 * {@link #DEFERRAL_MILLIS} later on a daemon thread of their own, and until then segment writers append
 * without reserving. A sink opened without that request (tests, the offline commands) makes them on first
 * need, as before.
 *
 * <p>Asking {@link #ready()} never initializes {@link Preallocator} while a deferral waits. Thread-safe.
 */
final class PreallocatorStart {
    private static final System.Logger LOG = System.getLogger(PreallocatorStart.class.getName());
    /** How long after a server's start the downcall handles are made. */
    static final long DEFERRAL_MILLIS = 5_000;

    /** The one every segment writer of this class loader asks. */
    static final PreallocatorStart SHARED = new PreallocatorStart(DEFERRAL_MILLIS);

    private final long deferralMillis;
    private volatile boolean deferred;
    private volatile boolean ready;

    PreallocatorStart(long deferralMillis) {
        this.deferralMillis = deferralMillis;
    }

    /** Whether {@link Preallocator} may be used now: true once made; false while a deferral waits. */
    boolean ready() {
        if (ready) {
            return true;
        }
        if (deferred) {
            return false;
        }
        Preallocator.available();
        ready = true;
        return true;
    }

    /** Makes the downcall handles {@code deferralMillis} from now on a daemon thread (once). */
    synchronized void defer() {
        if (deferred || ready) {
            return;
        }
        deferred = true;
        Thread.ofPlatform().daemon().name("audit-file-fallocate").start(() -> {
            try {
                Thread.sleep(deferralMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                Preallocator.available();
                ready = true;
            } catch (LinkageError | RuntimeException e) {
                // the plugin was unloaded meanwhile (a node stopped within the deferral, as tests do): writers
                // of this class loader, if any, go on without reserving
                LOG.log(System.Logger.Level.DEBUG, "fallocate handles not made: {0}", e.toString());
            }
        });
    }
}
