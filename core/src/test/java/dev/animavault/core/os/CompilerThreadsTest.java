package dev.animavault.core.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The JIT compiler threads of this (the test) JVM lowered through {@code setpriority}, as {@code anima-vault server}
 * does at its start: read back from the kernel ({@code /proc/self/task/<tid>/stat}). It lowers this test JVM's
 * compilers for the rest of the fork, which only delays some compilations of the tests that follow.
 */
class CompilerThreadsTest {
    /** The step docs/performance.md measured (an operator's choice; the default is off). */
    private static final int STEP = 5;

    @Test
    void offByDefaultOrInvalidStartsNoThread() {
        assertEquals(0, CompilerThreads.DEFAULT_STEP);
        assertNull(CompilerThreads.lowerInBackground(Map.of()));
        assertNull(CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, " ")));
        assertNull(CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, "0")));
        assertNull(CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, "five")));
        assertNull(CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, "20")));
        assertNull(CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, "-1")));
    }

    @Test
    void onLinuxTheCompilerThreadsAndOnlyThemGoFiveNiceValuesDown() throws Exception {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "nice values are checked on Linux only");
        assumeTrue(Runtime.version().feature() >= 22, "the foreign function API is final from Java 22");
        assertTrue(Nice.available(), "setpriority should be callable on Linux with Java 22+: " + Nice.unavailableReason());
        Map<String, Integer> compilersBefore = niceOf(true);
        Map<String, Integer> othersBefore = niceOf(false);
        assumeTrue(!compilersBefore.isEmpty(), "this JVM runs without JIT compiler threads");
        assumeTrue(compilersBefore.values().stream().allMatch(n -> n + STEP <= Nice.LOWEST),
                "the compilers already run near the lowest priority (an earlier lowering in this fork)");

        Thread t = CompilerThreads.lowerInBackground(Map.of(CompilerThreads.ENV, Integer.toString(STEP)));
        assertNotNull(t);
        t.join(10_000);
        assertFalse(t.isAlive());

        Map<String, Integer> compilersAfter = niceOf(true);
        int checked = 0;
        for (Map.Entry<String, Integer> e : compilersBefore.entrySet()) {
            Integer after = compilersAfter.get(e.getKey());
            if (after != null) { // HotSpot may stop an idle compiler thread beyond the first
                assertEquals(e.getValue() + STEP, after, "compiler task " + e.getKey());
                checked++;
            }
        }
        assertTrue(checked > 0, "no compiler thread left to check");
        // every other thread (this one, GC, the JVM's own) keeps its priority
        Map<String, Integer> othersAfter = niceOf(false);
        for (Map.Entry<String, Integer> e : othersBefore.entrySet()) {
            Integer after = othersAfter.get(e.getKey());
            if (after != null) {
                assertEquals(e.getValue(), after, "task " + e.getKey());
            }
        }
        // again: another step down from where they are, capped at 19 (a vault started under nice keeps the distance)
        assertTrue(CompilerThreads.lower(Nice.LOWEST) > 0);
        assertTrue(niceOf(true).values().stream().allMatch(n -> n == Nice.LOWEST));
    }

    @Test
    void theNiceValueOfATaskIsReadFromTheKernel() {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "Linux only");
        assertTrue(Nice.ofTask(String.valueOf(ProcessHandle.current().pid())).isPresent());
        assertTrue(Nice.ofTask("999999999").isEmpty());
    }

    /** The nice value of each compiler task (or each other task) of this JVM, by task id. */
    private static Map<String, Integer> niceOf(boolean compilers) throws IOException {
        Map<String, Integer> nice = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII);
                } catch (IOException ended) {
                    continue;
                }
                boolean compiler = comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
                if (compiler == compilers) {
                    Nice.ofTask(task.getFileName().toString()).ifPresent(n -> nice.put(task.getFileName().toString(), n));
                }
            }
        }
        return nice;
    }
}
