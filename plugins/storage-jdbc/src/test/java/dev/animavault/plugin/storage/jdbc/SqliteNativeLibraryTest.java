package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy of sqlite-jdbc's native library kept in the plugin's directory (issue 19: startup). */
class SqliteNativeLibraryTest {

    @TempDir
    Path home;

    @Test
    void theLibraryIsCopiedOnceWholeAndKept() throws Exception {
        Path dir = SqliteNativeLibrary.keep(home);
        assertNotNull(dir, "sqlite-jdbc has a library for this platform");
        String name = org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
        Path lib = dir.resolve(name);
        byte[] expected;
        try (InputStream in = org.sqlite.SQLiteJDBCLoader.class.getResourceAsStream(
                org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name)) {
            expected = in.readAllBytes();
        }
        assertArrayEquals(expected, Files.readAllBytes(lib));
        assertEquals(home.resolve("native").resolve(org.sqlite.SQLiteJDBCLoader.getVersion()), dir.getParent().getParent(),
                "kept per driver version, os and architecture");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        long modified = Files.getLastModifiedTime(lib).toMillis();
        Files.setLastModifiedTime(lib, java.nio.file.attribute.FileTime.fromMillis(modified - 60_000));
        assertEquals(dir, SqliteNativeLibrary.keep(home));
        assertEquals(modified - 60_000, Files.getLastModifiedTime(lib).toMillis(), "a kept copy is not written again");
    }

    @Test
    void outsideAnUnpackedPluginTheDriverIsLeftAlone() {
        // here sqlite-jdbc's jar is in the Maven repository, not in <plugin>/lib/ beside plugin.properties
        String before = System.getProperty(SqliteNativeLibrary.PATH);
        SqliteNativeLibrary.prepare();
        assertEquals(before, System.getProperty(SqliteNativeLibrary.PATH));
        if (before == null) {
            assertNull(System.getProperty(SqliteNativeLibrary.NAME));
        }
    }

    /**
     * The warm-up and {@code create} both call {@code prepare()}, possibly at once on two threads, and tests open
     * many backends in one JVM: the work runs once, and every caller returns after it is done.
     */
    @Test
    void prepareRunsItsWorkOnceHoweverManyCallAtOnce() throws Exception {
        int callers = 16;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<Integer>> seen = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                seen.add(pool.submit(() -> {
                    start.await();
                    SqliteNativeLibrary.prepare();
                    return SqliteNativeLibrary.runs();
                }));
            }
            start.countDown();
            for (Future<Integer> f : seen) {
                assertEquals(1, f.get(30, TimeUnit.SECONDS), "the work was done before prepare() returned");
            }
        } finally {
            pool.shutdownNow();
        }
        SqliteNativeLibrary.prepare();
        assertEquals(1, SqliteNativeLibrary.runs(), "later calls do not run it again");
    }
}
