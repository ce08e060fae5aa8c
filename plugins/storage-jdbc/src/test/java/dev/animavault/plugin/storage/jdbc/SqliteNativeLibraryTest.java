package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
