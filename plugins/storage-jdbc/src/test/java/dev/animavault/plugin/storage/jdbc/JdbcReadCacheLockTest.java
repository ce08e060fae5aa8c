package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock the read cache needs: with the cache on, a SQLite database is used by one backend at a time,
 * whether the second one is in another process ({@link SqliteLockChild}), in this JVM, or in this JVM
 * under another class loader (as PF4J would load the plugin twice); the refusal names the lock file and
 * leaves the first holder's lock in place. The lock file is never opened by these tests while it is held
 * (on Linux closing any descriptor of a file drops the process's locks on it).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JdbcReadCacheLockTest {

    @TempDir
    Path dataDir;

    private StorageBackend open(Map<String, String> values) {
        return new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc", values, Set.of()),
                TestPluginContext.denyingEgress(dataDir));
    }

    private Path lockFile() throws IOException {
        return dataDir.toRealPath().resolve("anima-vault.db.lock");
    }

    private void assertRefusal(String message) throws IOException {
        assertTrue(message.contains(lockFile().toString()), "names the lock file: " + message);
        assertTrue(message.contains("another Anima Vault"), message);
    }

    @Test
    void aSecondBackendInThisProcessIsRefusedWhileTheFirstIsOpen() throws Exception {
        StorageBackend first = open(Map.of());
        try {
            first.putRecord("ns", "k", new byte[] {1}, 0);
            VaultException e = assertThrows(VaultException.class, () -> open(Map.of()));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
            assertRefusal(e.getMessage());
            assertTrue(e.getMessage().contains("in this process"), e.getMessage());
            // the first one is unaffected and still holds the lock, also against other processes
            assertEquals(1, first.getRecord("ns", "k").orElseThrow().revision());
            assertTrue(child("try").startsWith("refused"), "the OS lock is still held");
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(lockFile()), "the lock file is private to its owner");
        } finally {
            first.close();
        }
        try (StorageBackend second = open(Map.of())) {
            assertEquals(1, second.getRecord("ns", "k").orElseThrow().revision(), "free once the first is closed");
        }
        assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(lockFile()).trim(),
                "the lock file names the last holder's pid");
    }

    @Test
    void aSecondProcessIsRefusedUntilTheFirstIsGone() throws Exception {
        // another process holds it: we are refused, with its pid
        Process holder = start("hold");
        try (BufferedReader out = reader(holder)) {
            assertEquals("ready", out.readLine());
            VaultException e = assertThrows(VaultException.class, () -> open(Map.of()));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
            assertRefusal(e.getMessage());
            assertTrue(e.getMessage().contains("pid " + holder.pid()), e.getMessage());
            holder.getOutputStream().close(); // the child closes its backend and exits
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, holder.exitValue());
        } finally {
            holder.destroyForcibly();
        }
        // we hold it: another process is refused, and gets in once we are closed
        try (StorageBackend b = open(Map.of())) {
            b.putRecord("ns", "k", new byte[] {1}, 0);
            String refused = child("try");
            assertTrue(refused.startsWith("refused STORAGE_UNAVAILABLE"), refused);
            assertRefusal(refused);
            assertTrue(refused.contains("pid " + ProcessHandle.current().pid()), refused);
        }
        assertEquals("opened", child("try"));
        // kill -9 of the holder releases the lock too
        Process killed = start("hold");
        try (BufferedReader out = reader(killed)) {
            assertEquals("ready", out.readLine());
            killed.destroyForcibly();
            assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
        }
        try (StorageBackend b = open(Map.of())) {
            assertEquals(1, b.getRecord("ns", "k").orElseThrow().revision());
        }
    }

    @Test
    void aBackendFromAnotherClassLoaderIsRefusedAndLeavesTheLockInPlace() throws Exception {
        try (StorageBackend first = open(Map.of());
             URLClassLoader isolated = new URLClassLoader(classPath(), ClassLoader.getPlatformClassLoader())) {
            Class<?> factoryClass = isolated.loadClass(JdbcStorageBackendFactory.class.getName());
            assertTrue(factoryClass != JdbcStorageBackendFactory.class, "a second copy of the plugin's classes");
            Class<?> configClass = isolated.loadClass(ProviderConfig.class.getName());
            Class<?> contextClass = isolated.loadClass("dev.animavault.spi.PluginContext");
            Object config = configClass.getMethod("empty", String.class).invoke(null, "jdbc");
            Object context = isolated.loadClass(TestPluginContext.class.getName())
                    .getMethod("denyingEgress", Path.class).invoke(null, dataDir);
            Object factory = factoryClass.getConstructor().newInstance();
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> factoryClass.getMethod("create", configClass, contextClass).invoke(factory, config, context));
            assertEquals(VaultException.class.getName(), e.getCause().getClass().getName());
            assertRefusal(e.getCause().getMessage());
            first.putRecord("ns", "k", new byte[] {1}, 0);
            assertTrue(child("try").startsWith("refused"), "the first backend's OS lock is still held");
        }
    }

    @Test
    void aLockTakenByOtherCodeInThisJvmIsRefusedAndKept() throws Exception {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve("anima-vault.db.lock");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock foreign = channel.lock()) {
            VaultException e = assertThrows(VaultException.class, () -> open(Map.of()));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
            assertRefusal(e.getMessage());
            assertTrue(foreign.isValid());
            assertTrue(child("try").startsWith("refused"), "the refused backend did not drop the foreign lock");
        }
        try (StorageBackend b = open(Map.of())) {
            assertNotNull(((JdbcStorageBackend) b).readCache());
        }
    }

    @Test
    void backendsStartingTogetherOnOneFileLetExactlyOneIn() throws Exception {
        List<Object> results = startTogether(4, () -> open(Map.of()));
        List<StorageBackend> opened = new ArrayList<>();
        try {
            for (Object r : results) {
                if (r instanceof StorageBackend b) {
                    opened.add(b);
                } else {
                    VaultException e = assertInstanceOf(VaultException.class, r);
                    assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
                    assertRefusal(e.getMessage());
                }
            }
            assertEquals(1, opened.size(), "exactly one backend got the database: " + results);
        } finally {
            opened.forEach(StorageBackend::close);
        }
    }

    @Test
    void withTheCacheOffNoLockIsTaken() throws Exception {
        // what read-cache: off allows: several users of one file (each sees the others' writes)
        try (StorageBackend a = open(Map.of("read-cache", "off"));
             StorageBackend b = open(Map.of("read-cache", "off"))) {
            a.putRecord("ns", "k", new byte[] {1}, 0);
            assertEquals(1, b.getRecord("ns", "k").orElseThrow().revision());
            assertEquals("opened", child("try"), "nothing locked");
        }
    }

    // ---------------------------------------------------------------- helpers

    private Process start(String mode) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SqliteLockChild.class.getName(), mode, dataDir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Runs the child in {@code mode}, returns its first output line. */
    private String child(String mode) throws Exception {
        Process p = start(mode);
        try (BufferedReader out = reader(p)) {
            String line = out.readLine();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit");
            return String.valueOf(line);
        } finally {
            p.destroyForcibly();
        }
    }

    private static URL[] classPath() throws IOException {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        return urls.toArray(URL[]::new);
    }

    /** Each result is what {@code open} returned or the exception it threw. */
    private static List<Object> startTogether(int n, Callable<?> open) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return open.call();
                }));
            }
            go.countDown();
            List<Object> out = new ArrayList<>();
            for (Future<?> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    out.add(e.getCause());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
