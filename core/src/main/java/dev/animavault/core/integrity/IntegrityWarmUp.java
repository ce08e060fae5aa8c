package dev.animavault.core.integrity;

/**
 * Loads the classes the replay guard's {@link SipHash} needs on a daemon thread of its own, started when a node
 * starts, so that the main thread does not pay for them when it wraps storage (issue 19: startup). They come
 * from BouncyCastle's jar, which is signed: the JDK verifies the jar's signature and hashes its manifest (one
 * digest per class in it) when the first class is loaded from it, ~0.25 s of CPU in a cold JVM, and the AOT
 * cache does not archive classes from signed jars, so every start pays it. Nothing waits for this thread: if the
 * main thread gets there first, it waits for the class loading or does it itself (the JDK loads a class and
 * verifies a jar once); a failure is logged at DEBUG only (the real use reports it).
 */
public final class IntegrityWarmUp {
    private static final System.Logger LOG = System.getLogger(IntegrityWarmUp.class.getName());

    private IntegrityWarmUp() {
    }

    /**
     * Starts the warm-up thread.
     *
     * @return the started daemon thread
     */
    public static Thread start() {
        return Thread.ofPlatform().daemon().name("warm-up-integrity").start(IntegrityWarmUp::run);
    }

    static long run() {
        try {
            return new SipHash(1, 2).digest("organization", "identity", "key");
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "integrity warm-up failed: {0}", e.toString());
            return 0;
        }
    }
}
