package dev.animavault.core.admin;

import dev.animavault.core.os.Nice;
import java.io.IOException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lowers the OS scheduling priority of the calling platform thread to nice {@value #NICE}, for the threads
 * that run Argon2id: on Linux each Java platform thread is its own kernel task with its own nice value,
 * and {@code setpriority(PRIO_PROCESS, 0, 19)} changes the calling thread alone ({@link Nice}). The kernel's
 * scheduler then hands the CPU to the threads serving secret reads first, and the hashes use what is left.
 * Lowering one's own priority needs no privilege.
 *
 * <p>Only on Linux, Java 22+ with native access ({@link Nice#available()}); otherwise, or if the call fails, the
 * thread keeps its priority and the reason is logged once. Thread-safe.
 */
final class LowPriority {
    private static final System.Logger LOG = System.getLogger(LowPriority.class.getName());
    /** The lowest priority Linux offers (the kernel clamps higher values to it). */
    static final int NICE = Nice.LOWEST;
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private LowPriority() {
    }

    /** Whether this JVM can lower a thread's priority (Linux, Java 22+, native access granted). */
    static boolean available() {
        return Nice.available();
    }

    /**
     * Lowers the calling thread to nice {@value #NICE}; a platform thread only (a virtual thread would lower
     * whichever carrier runs it). Never throws but for a virtual thread.
     *
     * @return whether the priority was lowered
     */
    static boolean lowerCurrentThread() {
        if (!Nice.available()) {
            logOnce(Nice.unavailableReason());
            return false;
        }
        try {
            Nice.setForCurrentThread(NICE);
            return true;
        } catch (IOException e) {
            logOnce(e.getMessage());
            return false;
        }
    }

    /** A factory of daemon platform threads named {@code prefix1, prefix2, ...} that each start at nice 19. */
    static ThreadFactory factory(String prefix) {
        ThreadFactory platform = Thread.ofPlatform().daemon().name(prefix, 1).factory();
        return task -> platform.newThread(() -> {
            lowerCurrentThread();
            task.run();
        });
    }

    private static void logOnce(String why) {
        if (LOGGED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, "Password hashing threads keep the normal OS priority ({0}); under a "
                    + "login flood they compete with secret reads on equal terms", why);
        }
    }
}
