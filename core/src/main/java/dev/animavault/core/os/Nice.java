package dev.animavault.core.os;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Sets the OS nice value of one Linux task (a thread) through {@code setpriority(PRIO_PROCESS, tid, nice)}: on
 * Linux each thread is its own kernel task with its own nice value, and {@code setpriority} with a thread id (or
 * {@code 0}, the calling thread) changes that thread alone ({@code man 2 setpriority}, "threads do not share a nice
 * value"). Raising a nice value (lowering the priority) needs no privilege for a task of one's own user.
 *
 * <p>Only on Linux: elsewhere (macOS, the BSDs) {@code PRIO_PROCESS} means the whole process, so nothing is done
 * there. The call goes through the JDK's foreign function API, looked up reflectively since core is compiled for
 * Java 21, where that API is a preview; on Java 21, on another system, without native access, or if the linking
 * fails, {@link #available()} is false and {@link #unavailableReason()} says why. Thread-safe.
 */
public final class Nice {
    /** The lowest priority Linux offers (the kernel clamps higher values to it). */
    public static final int LOWEST = 19;
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SETPRIORITY;
    private static final String UNAVAILABLE;

    static {
        MethodHandle handle = null;
        String why = null;
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            why = "not Linux (setpriority would lower the whole process there)";
        } else if (Runtime.version().feature() < 22) {
            why = "Java " + Runtime.version().feature() + " has no final foreign function API";
        } else {
            try {
                handle = link();
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
                        ? ite.getCause() : e;
                why = "setpriority could not be linked: " + cause;
            }
        }
        SETPRIORITY = handle;
        UNAVAILABLE = why;
    }

    private Nice() {
    }

    private static MethodHandle link() throws ReflectiveOperationException {
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
        return (MethodHandle) linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
                optionClass.arrayType()).invoke(linker, symbol, descriptor, Array.newInstance(optionClass, 0));
    }

    /** Whether this JVM can set a thread's nice value (Linux, Java 22+, native access granted). */
    public static boolean available() {
        return SETPRIORITY != null;
    }

    /** Why {@link #available()} is false; null when it is true. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * Sets the nice value of the calling platform thread (a virtual thread would change whichever carrier runs it).
     *
     * @throws IllegalStateException if {@link #available()} is false, or from a virtual thread
     * @throws IOException if the call fails (its return value in the message)
     */
    public static void setForCurrentThread(int nice) throws IOException {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread's priority is its carrier's");
        }
        setForTask(0, nice);
    }

    /**
     * Sets the nice value of the Linux task {@code tid} (a thread id of {@code /proc/self/task}; 0 = the caller).
     *
     * @throws IllegalStateException if {@link #available()} is false
     * @throws IOException if the call fails (its return value in the message)
     */
    public static void setForTask(int tid, int nice) throws IOException {
        if (SETPRIORITY == null) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        int rc;
        try {
            rc = (int) SETPRIORITY.invoke(PRIO_PROCESS, tid, nice);
        } catch (Throwable e) {
            throw new IOException("setpriority failed: " + e, e);
        }
        if (rc != 0) {
            throw new IOException("setpriority(" + tid + ", " + nice + ") returned " + rc);
        }
    }

    /**
     * The nice value of task {@code tid} of this process (field 19 of {@code /proc/self/task/<tid>/stat}), empty if
     * the task is gone or the file unreadable.
     */
    public static OptionalInt ofTask(String tid) {
        try {
            String stat = new String(Files.readAllBytes(Path.of("/proc/self/task", tid, "stat")),
                    StandardCharsets.US_ASCII);
            // the command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return OptionalInt.of(Integer.parseInt(fields[16])); // field 19 = index 16 after pid, comm and state
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
