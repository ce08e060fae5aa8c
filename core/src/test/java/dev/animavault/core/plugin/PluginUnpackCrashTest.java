package dev.animavault.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.core.TestVault;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.StorageBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start killed while plugins are unpacked never leaves a vault that cannot start again: each plugin
 * directory is either complete (stamped) or absent, and the next start recovers from whatever is left.
 * The states a kill leaves are built by hand (every point of an unpack), and a real child JVM is killed
 * with SIGKILL at several moments of its unpack.
 */
class PluginUnpackCrashTest {
    @TempDir
    Path tmp;

    @Test
    void aHalfWrittenTemporaryDirectoryIsDeletedAndTheZipUnpackedAgain() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Path dir = plugins.resolve("storage-jdbc");
        // killed in the middle of writing the temporary directory: the final one does not exist yet
        Path partial = Files.createDirectories(plugins.resolve(".storage-jdbc" + UnpackedPlugins.UNPACKING + "x1"));
        Files.createDirectories(partial.resolve("lib"));
        Files.writeString(partial.resolve("plugin.properties"), "plugin.id=storage-jdbc\n");
        // killed between moving the old directory away and the new one into place
        Path replaced = Files.createDirectories(plugins.resolve(".audit-file" + UnpackedPlugins.REPLACED + "x2"));
        Files.writeString(replaced.resolve("plugin.properties"), "plugin.id=audit-file\n");

        assertJdbcWorks(plugins);
        assertComplete(plugins.resolve("storage-jdbc.zip"), dir);
        assertFalse(Files.exists(partial) || Files.exists(replaced), "leftovers deleted");
    }

    /** What PF4J's own unpacking left when killed (before this fix): files in place, no stamp. */
    @Test
    void aPartialDirectoryWithoutAStampIsUnpackedAgain() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        Path zip = plugins.resolve("storage-jdbc.zip");
        Path dir = plugins.resolve("storage-jdbc");
        assertJdbcWorks(plugins);
        // the case: the directory has some files, among them not the pool's jar, and no stamp
        Files.delete(dir.resolve(UnpackedPlugins.STAMP));
        try (Stream<Path> jars = Files.list(dir.resolve("lib"))) {
            for (Path jar : jars.filter(j -> !j.getFileName().toString().startsWith("jdbi")).toList()) {
                Files.delete(jar);
            }
        }
        assertJdbcWorks(plugins);
        assertComplete(zip, dir);

        // an empty directory (killed right after creating it)
        deleteTree(dir);
        Files.createDirectory(dir);
        assertJdbcWorks(plugins);
        assertComplete(zip, dir);
    }

    @Test
    @Timeout(300)
    void aStartKilledWithSigkillDuringTheUnpackRecoversAtTheNextStart() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        List<Path> zips;
        try (Stream<Path> s = Files.list(plugins)) {
            zips = s.filter(p -> p.toString().endsWith(".zip")).sorted().toList();
        }
        int killedMidUnpack = 0;
        for (long delayMillis : new long[] {0, 5, 20, 60, 150}) {
            for (Path zip : zips) {
                Path d = UnpackedPlugins.unpackedDir(zip);
                if (Files.exists(d)) {
                    deleteTree(d);
                }
            }
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), UnpackChild.class.getName(), plugins.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                assertEquals("loading", out.readLine());
                // kill once an unpack is under way (a temporary or a plugin directory appears), after the delay
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!unpacking(plugins, zips) && child.isAlive() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                if (child.isAlive()) {
                    killedMidUnpack++;
                }
                Thread.sleep(delayMillis);
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            // whatever the moment: every plugin directory is complete or absent
            for (Path zip : zips) {
                Path d = UnpackedPlugins.unpackedDir(zip);
                if (Files.exists(d)) {
                    assertComplete(zip, d);
                }
            }
            assertJdbcWorks(plugins);
            for (Path zip : zips) {
                assertComplete(zip, UnpackedPlugins.unpackedDir(zip));
            }
            assertFalse(unpacking(plugins, List.of()), "leftovers deleted at the next start");
        }
        assertTrue(killedMidUnpack > 0, "at least one kill landed during the unpack");
    }

    /** Whether a temporary unpack directory, or the directory of one of {@code zips}, exists. */
    private static boolean unpacking(Path plugins, List<Path> zips) {
        for (Path zip : zips) {
            if (Files.exists(UnpackedPlugins.unpackedDir(zip))) {
                return true;
            }
        }
        try (Stream<Path> s = Files.list(plugins)) {
            return s.anyMatch(p -> p.getFileName().toString().contains(UnpackedPlugins.UNPACKING));
        } catch (IOException e) {
            return false;
        }
    }

    /** Loads the plugins and creates (and closes) a SQLite storage: its classes and libraries are all there. */
    private void assertJdbcWorks(Path plugins) throws IOException {
        try (PluginRegistry registry = PluginRegistry.load(plugins)) {
            var jdbc = PluginRegistry.require(registry.storageBackends(), "jdbc", "storage backend", "test");
            Path data = Files.createTempDirectory(tmp, "data");
            StorageBackend storage = Tccl.call(jdbc.loader(), () -> jdbc.factory().create(
                    ProviderConfig.empty("jdbc"), new CorePluginContext(java.time.Clock.systemUTC(), data,
                    new EgressPolicy(List.of()), "dep_test")));
            storage.close();
        }
    }

    /** The directory holds every entry of the zip with its size, and the stamp. */
    private static void assertComplete(Path zip, Path dir) throws IOException {
        assertTrue(Files.isRegularFile(dir.resolve(UnpackedPlugins.STAMP)), dir + " is stamped");
        List<String> problems = new ArrayList<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = z.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                Path f = dir.resolve(e.getName());
                if (e.isDirectory() ? !Files.isDirectory(f) : !Files.isRegularFile(f) || Files.size(f) != e.getSize()) {
                    problems.add(e.getName());
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(dir + " is incomplete: " + problems);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
