package dev.animavault.core.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Lowers the OS priority of the JVM's JIT compiler threads (HotSpot's {@code C1 CompilerThread<n>} and
 * {@code C2 CompilerThread<n>}, whose Linux task names are cut to {@code C1 CompilerThre} / {@code C2 CompilerThre})
 * by the step {@code ANIMA_VAULT_COMPILER_NICE} asks for, so that during a start the kernel gives a core to the
 * thread starting the server before the compilers (issue 19: on 2 cores C1 and C2 use ~1.2 s of CPU until the first
 * healthy answer and the main thread waited 0.3-0.7 s for a core). The compilers still use every cycle nobody else
 * wants, but their work after a start then waits whenever the vault's own threads keep the cores busy.
 *
 * <p><b>Off by default</b> ({@value #DEFAULT_STEP}): measured, a step of 5 shortened loaded starts by 0.17-0.37 s
 * and idle ones by ~0-0.04 s, but under a 32-client write load 30 s after the start the server still used 20-35%
 * more CPU per write (its write path compiled later); docs/performance.md, "Ninth pass". An operator who restarts
 * vaults on busy machines and favours the start sets it (5 is the measured value). The new nice value is the
 * thread's current one plus the step, at most {@value Nice#LOWEST}, so a vault already started under {@code nice}
 * keeps the same distance between its compilers and its other threads. The priority stays lowered for the life of
 * the process (a user without {@code CAP_SYS_NICE} could not raise it again). Compiler threads that HotSpot
 * starts later are created by a compiler thread and inherit its nice value.
 *
 * <p>The same as {@code -XX:ThreadPriorityPolicy=1 -XX:CompilerThreadPriority=5}, without that option's warning for
 * users other than root and without its re-prioritising of every other JVM thread when run as root. Linux only
 * (through {@link Nice}); anywhere else, or if anything fails, the compilers keep their priority and the reason
 * is logged once (at DEBUG off Linux, else at INFO).
 */
public final class CompilerThreads {
    /** The nice step by default: 0, off (docs/performance.md, ninth pass: the write path compiles later). */
    public static final int DEFAULT_STEP = 0;
    /** The environment variable that sets the step; 0 = leave the compilers alone. */
    public static final String ENV = "ANIMA_VAULT_COMPILER_NICE";
    private static final System.Logger LOG = System.getLogger(CompilerThreads.class.getName());

    private CompilerThreads() {
    }

    /**
     * Starts a short-lived daemon platform thread that lowers the compiler threads by the step
     * {@code env} asks for (unset: {@link #DEFAULT_STEP}, off). Returns at once; never throws.
     *
     * @return the thread, or null when the step is 0 (the default) or the value invalid (logged)
     */
    public static Thread lowerInBackground(Map<String, String> env) {
        int step = DEFAULT_STEP;
        String value = env.get(ENV);
        if (value != null && !value.isBlank()) {
            try {
                step = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                step = -1;
            }
            if (step < 0 || step > Nice.LOWEST) {
                LOG.log(System.Logger.Level.WARNING, "{0} must be a number from 0 to {1} (0 = off), not \"{2}\": the "
                        + "JIT compiler threads keep their priority", ENV, Nice.LOWEST, value);
                return null;
            }
        }
        if (step == 0) {
            return null;
        }
        int by = step;
        return Thread.ofPlatform().daemon().name("compiler-nice").start(() -> lower(by));
    }

    /**
     * Lowers every compiler thread of this JVM by {@code step} nice values, on the calling thread.
     *
     * @return how many compiler threads were lowered (0 off Linux or if the call is unavailable; logged once)
     */
    public static int lower(int step) {
        if (!Nice.available()) {
            // expected off Linux (DEBUG); on Linux it means no native access or an old JDK (INFO)
            boolean linux = System.getProperty("os.name", "").startsWith("Linux");
            LOG.log(linux ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "The JIT compiler threads keep their OS priority ({0})", Nice.unavailableReason());
            return 0;
        }
        int lowered = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String tid = task.getFileName().toString();
                if (!isCompiler(task)) {
                    continue;
                }
                OptionalInt now = Nice.ofTask(tid);
                if (now.isEmpty()) {
                    continue; // gone (HotSpot stops idle compiler threads beyond the first)
                }
                int target = Math.min(Nice.LOWEST, now.getAsInt() + step);
                if (target > now.getAsInt()) {
                    try {
                        Nice.setForTask(Integer.parseInt(tid), target);
                        lowered++;
                    } catch (IOException e) {
                        if (Nice.ofTask(tid).isPresent()) {
                            throw e; // not a thread that ended meanwhile
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "The JIT compiler threads keep their OS priority ({0})", e.toString());
        }
        return lowered;
    }

    private static boolean isCompiler(Path task) {
        try {
            String comm = new String(Files.readAllBytes(task.resolve("comm")), StandardCharsets.US_ASCII);
            return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
        } catch (IOException e) {
            return false; // the thread ended
        }
    }
}
