package dev.animavault.core.admin;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lowers the OS scheduling priority of the calling platform thread to nice {@value #NICE}, for the threads
 * that run Argon2id: on Linux each Java platform thread is its own kernel task with its own nice value,
 * and {@code setpriority(PRIO_PROCESS, 0, 19)} changes the calling thread alone (Linux gives {@code who = 0}
 * thread-id semantics; {@code man 2 setpriority}, "threads do not share a nice value"). The kernel's
 * scheduler then hands the CPU to the threads serving secret reads first, and the hashes use what is left.
 * Lowering one's own priority needs no privilege.
 *
 * <p>Only on Linux: elsewhere (macOS, the BSDs) {@code PRIO_PROCESS, 0} means the whole process, which
 * would slow the read path too, so nothing is done there. The call goes through the JDK's foreign function
 * API, looked up reflectively since core is compiled for Java 21, where that API is a preview; on Java 21,
 * on another system, without native access, or if the call fails, the thread keeps its priority and the
 * reason is logged once. Thread-safe.
 */
final class LowPriority {
    private static final System.Logger LOG = System.getLogger(LowPriority.class.getName());
    /** The lowest priority Linux offers (the kernel clamps higher values to it). */
    static final int NICE = 19;
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SETPRIORITY;
    private static final String UNAVAILABLE;
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    static {
        MethodHandle handle = null;
        String why = null;
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            why = "not Linux (setpriority would lower the whole process there)";
        } else if (Runtime.version().feature() < 22) {
            why = "Java " + Runtime.version().feature() + " has no final foreign function API";
        } else {
            try {
                Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
                Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
                Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
                Object lookup = linkerClass.getMethod("defaultLookup").invoke(linker);
                Object jint = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
                Method find = Class.forName("java.lang.foreign.SymbolLookup").getMethod("find", String.class);
                Object symbol = ((Optional<?>) find.invoke(lookup, "setpriority"))
                        .orElseThrow(() -> new IllegalStateException("no setpriority in libc"));
                Object args = Array.newInstance(layoutClass, 3);
                for (int i = 0; i < 3; i++) {
                    Array.set(args, i, jint);
                }
                // int setpriority(int which, id_t who, int prio); id_t is a 32-bit unsigned int on Linux
                Object descriptor = descriptorClass.getMethod("of", layoutClass, layoutClass.arrayType())
                        .invoke(null, jint, args);
                handle = (MethodHandle) linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
                        optionClass.arrayType()).invoke(linker, symbol, descriptor, Array.newInstance(optionClass, 0));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
                        ? ite.getCause() : e;
                why = "setpriority could not be linked: " + cause;
                handle = null;
            }
        }
        SETPRIORITY = handle;
        UNAVAILABLE = why;
    }

    private LowPriority() {
    }

    /** Whether this JVM can lower a thread's priority (Linux, Java 22+, native access granted). */
    static boolean available() {
        return SETPRIORITY != null;
    }

    /**
     * Lowers the calling thread to nice {@value #NICE}; a platform thread only (a virtual thread would lower
     * whichever carrier runs it). Never throws.
     *
     * @return whether the priority was lowered
     */
    static boolean lowerCurrentThread() {
        if (SETPRIORITY == null) {
            logOnce(UNAVAILABLE);
            return false;
        }
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread's priority is its carrier's");
        }
        int rc;
        try {
            rc = (int) SETPRIORITY.invoke(PRIO_PROCESS, 0, NICE);
        } catch (Throwable e) {
            logOnce("setpriority failed: " + e);
            return false;
        }
        if (rc != 0) {
            logOnce("setpriority returned " + rc);
            return false;
        }
        return true;
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
