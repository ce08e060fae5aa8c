package dev.animavault.spi.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ExclusiveLockFile.Holder;
import java.io.BufferedReader;
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
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ExclusiveLockFile} on real files with real OS locks: against another process ({@link ExclusiveLockFileChild}
 * in a child JVM), another user in this JVM (also under another class loader and through another spelling of the
 * path), and other code in this JVM holding an OS lock on the file. While a lock is held these tests never open its
 * file themselves (on Linux closing any descriptor of a file drops the process's locks on it); that a refusal left
 * the holder's lock in place is checked from a child process.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ExclusiveLockFileTest {

    @TempDir
    Path dir;

    /** Refusals that remember the holder they were given. */
    private static final class Recording implements ExclusiveLockFile.Refusals {
        final List<Holder> holders = new ArrayList<>();
        final List<IOException> openFailures = new ArrayList<>();

        @Override
        public synchronized VaultException inUse(Path file, Holder holder) {
            holders.add(holder);
            return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "in use: " + file + " " + holder);
        }

        @Override
        public VaultException cannotOpen(Path file, IOException cause) {
            openFailures.add(cause);
            return new VaultException(ErrorCode.CONFIGURATION, "cannot open " + file);
        }
    }

    private Path lockFile() {
        return dir.resolve("store.lock");
    }

    @Test
    void theHolderLineIsWrittenOwnerOnlyAndCloseReleasesTheLock() throws Exception {
        Path file = lockFile();
        ExclusiveLockFile lock = ExclusiveLockFile.acquire(file, "holder 1 of this test");
        try {
            assertSame(file, lock.file());
            assertTrue(lock.toString().contains("held"), lock.toString());
            assertTrue(child("try", file).startsWith("refused STORAGE_UNAVAILABLE"), "held against other processes");
            if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
                assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                        Files.getPosixFilePermissions(file), "the lock file is private to its owner");
            }
        } finally {
            lock.close();
        }
        lock.close(); // idempotent
        assertTrue(lock.toString().contains("released"), lock.toString());
        assertEquals("holder 1 of this test\n", Files.readString(file), "the file keeps the last holder's line");
        assertNull(System.getProperty(ExclusiveLockFile.registryKey(file)), "unregistered");
        assertEquals("acquired", child("try", file), "free once closed");
        try (ExclusiveLockFile again = ExclusiveLockFile.acquire(file, "holder 2")) {
            assertNotSame(lock, again);
        }
        assertEquals("holder 2\n", Files.readString(file), "a new holder replaces the line");
    }

    @Test
    void aSecondUserInThisJvmIsRefusedWithoutTouchingTheFirstOnesLock() throws Exception {
        Path file = lockFile();
        Files.createDirectories(dir.resolve("sub"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
        try (ExclusiveLockFile first = ExclusiveLockFile.acquire(file, "first")) {
            // the same file however it is spelled: one registry entry, refused before the file is opened
            for (Path other : List.of(file, dir.resolve("sub/../store.lock"), link.resolve("store.lock"),
                    Path.of("").toAbsolutePath().relativize(file))) {
                Recording refusals = new Recording();
                VaultException e = assertThrows(VaultException.class,
                        () -> ExclusiveLockFile.acquire(other, "second", refusals));
                assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode());
                assertEquals(List.of(new Holder.ThisJvm()), refusals.holders, "for " + other);
            }
            VaultException plain = assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "x"));
            assertEquals("the lock file " + file + " is held by another storage backend in this process",
                    plain.getMessage());
            // had any of them opened and closed the file, Linux would have dropped the first one's lock
            assertTrue(child("try", file).startsWith("refused"), "the first one's OS lock is still held");
            assertTrue(System.getProperty(ExclusiveLockFile.registryKey(file)) != null);
        }
        try (ExclusiveLockFile second = ExclusiveLockFile.acquire(link.resolve("store.lock"), "second")) {
            assertEquals(link.resolve("store.lock"), second.file(), "the file as given, not resolved");
        }
    }

    @Test
    void aCopyOfTheClassUnderAnotherClassLoaderIsRefused() throws Exception {
        Path file = lockFile();
        URL spiClasses = ExclusiveLockFile.class.getProtectionDomain().getCodeSource().getLocation();
        try (ExclusiveLockFile first = ExclusiveLockFile.acquire(file, "first");
             URLClassLoader isolated = new URLClassLoader(new URL[] {spiClasses}, ClassLoader.getPlatformClassLoader())) {
            Class<?> copy = isolated.loadClass(ExclusiveLockFile.class.getName());
            assertNotSame(ExclusiveLockFile.class, copy, "a second copy of the class, with its own statics");
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> copy.getMethod("acquire", Path.class, String.class).invoke(null, file, "second"));
            assertEquals(VaultException.class.getName(), e.getCause().getClass().getName());
            assertNotSame(VaultException.class, e.getCause().getClass());
            assertTrue(e.getCause().getMessage().contains("in this process"), e.getCause().getMessage());
            assertTrue(child("try", file).startsWith("refused"), "the first one's OS lock is still held");
        }
    }

    @Test
    void anotherProcessIsNamedByItsHolderLineUntilItIsGone() throws Exception {
        Path file = lockFile();
        Process holder = start("hold", file, "pid 42 \u0007 on h\u00e9te");
        try (BufferedReader out = reader(holder)) {
            assertEquals("ready", out.readLine());
            Recording refusals = new Recording();
            assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "me", refusals));
            assertEquals(List.of(new Holder.OtherProcess("pid 42 ? on h?te")), refusals.holders,
                    "the holder line, non-printable and non-ASCII characters replaced");
            VaultException plain = assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "me"));
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, plain.errorCode());
            assertEquals("the lock file " + file + " is held by another process (pid 42 ? on h?te)",
                    plain.getMessage());
            assertNull(System.getProperty(ExclusiveLockFile.registryKey(file)), "a refusal leaves nothing registered");
            holder.getOutputStream().close(); // the child releases and exits
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, holder.exitValue());
        } finally {
            holder.destroyForcibly();
        }
        try (ExclusiveLockFile mine = ExclusiveLockFile.acquire(file, "mine")) {
            String refused = child("try", file);
            assertTrue(refused.equals("refused STORAGE_UNAVAILABLE the lock file " + file
                    + " is held by another process (mine)"), refused);
        }
        // kill -9 of the holder releases the lock too
        Process killed = start("hold", file, "killed");
        try (BufferedReader out = reader(killed)) {
            assertEquals("ready", out.readLine());
            killed.destroyForcibly();
            assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
        }
        try (ExclusiveLockFile mine = ExclusiveLockFile.acquire(file, "mine")) {
            assertSame(file, mine.file());
        }
    }

    @Test
    void anOsLockTakenByOtherCodeInThisJvmIsRefusedAndKept() throws Exception {
        Path file = lockFile();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock foreign = channel.lock()) {
            Recording refusals = new Recording();
            assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "me", refusals));
            assertEquals(List.of(new Holder.OtherCodeInThisJvm()), refusals.holders);
            assertTrue(foreign.isValid());
            assertTrue(child("try", file).startsWith("refused"), "the refused acquire did not drop the foreign lock");
            assertNull(System.getProperty(ExclusiveLockFile.registryKey(file)));
        }
        try (ExclusiveLockFile mine = ExclusiveLockFile.acquire(file, "mine")) {
            assertTrue(child("try", file).startsWith("refused"));
        }
    }

    @Test
    void aLockFileThatCannotBeOpenedIsReportedAndLeavesNothingRegistered() throws Exception {
        Path file = dir.resolve("missing").resolve("store.lock");
        Recording refusals = new Recording();
        VaultException e = assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "me", refusals));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode(), "what the refusals said");
        assertEquals(1, refusals.openFailures.size());
        assertNull(System.getProperty(ExclusiveLockFile.registryKey(file)));
        VaultException plain = assertThrows(VaultException.class, () -> ExclusiveLockFile.acquire(file, "me"));
        assertEquals(ErrorCode.STORAGE_UNAVAILABLE, plain.errorCode());
        assertTrue(plain.getMessage().startsWith("cannot open the lock file " + file + ": "), plain.getMessage());
        Files.createDirectories(file.getParent());
        try (ExclusiveLockFile lock = ExclusiveLockFile.acquire(file, "me", refusals)) {
            assertSame(file, lock.file());
        }
        assertThrows(IllegalArgumentException.class, () -> ExclusiveLockFile.acquire(file, "two\nlines"));
        assertNull(System.getProperty(ExclusiveLockFile.registryKey(file)));
    }

    @Test
    void usersStartingTogetherOnOneFileLetExactlyOneIn() throws Exception {
        Path file = lockFile();
        Recording refusals = new Recording();
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<ExclusiveLockFile> acquired = new ArrayList<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ExclusiveLockFile>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String line = "user " + i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return ExclusiveLockFile.acquire(file, line, refusals);
                }));
            }
            go.countDown();
            for (Future<ExclusiveLockFile> f : futures) {
                try {
                    acquired.add(f.get());
                } catch (ExecutionException e) {
                    assertInstanceOf(VaultException.class, e.getCause());
                }
            }
            assertEquals(1, acquired.size(), "exactly one got the lock");
            assertEquals(n - 1, refusals.holders.size());
            assertTrue(refusals.holders.stream().allMatch(h -> h instanceof Holder.ThisJvm), refusals.holders.toString());
            assertTrue(child("try", file).startsWith("refused"));
        } finally {
            acquired.forEach(ExclusiveLockFile::close);
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Process start(String mode, Path file, String... more) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ExclusiveLockFileChild.class.getName(), mode,
                file.toString()));
        command.addAll(List.of(more));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Runs the child in {@code mode}, returns its first output line. */
    private static String child(String mode, Path file) throws Exception {
        Process p = start(mode, file);
        try (BufferedReader out = reader(p)) {
            String line = out.readLine();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit");
            return String.valueOf(line);
        } finally {
            p.destroyForcibly();
        }
    }
}
