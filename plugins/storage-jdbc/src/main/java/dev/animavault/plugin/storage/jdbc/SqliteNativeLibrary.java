package dev.animavault.plugin.storage.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.CodeSource;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Keeps sqlite-jdbc's native library unpacked in the plugin's directory (issue 19: startup). Left alone,
 * sqlite-jdbc copies the library (~1.1 MB) out of its jar into the temp directory at every start, reads
 * both back to compare them and lists the temp directory to delete its leftovers: 0.5-3 s of CPU on this
 * machine, against ~0.1-0.3 s to load a kept copy. Here the library is copied once to
 * {@code <plugin dir>/native/<sqlite-jdbc version>/<os>/<arch>/} (written under a temporary name, then
 * moved into place, so a crash leaves no half library), and sqlite-jdbc is pointed at it through its
 * {@code org.sqlite.lib.path} and {@code org.sqlite.lib.name} system properties (its temp directory stays
 * the fallback: a kept copy that is missing, or that another class loader of this JVM loaded already, as
 * when tests start several nodes, makes it extract as before).
 *
 * <p>Only inside an unpacked plugin (the jar in {@code <dir>/lib/} beside {@code <dir>/plugin.properties};
 * the plugins directory is writable by the server, and the library is no more trusted than the jars beside
 * it), and only when the operator set none of those properties. Anything that fails leaves the properties
 * unset, and sqlite-jdbc extracts as before. Called before sqlite-jdbc's loader runs, by the warm-up and by
 * {@code create} (which may run without a warm-up); the work itself runs once, see {@link #prepare()}.
 */
final class SqliteNativeLibrary {

    private static final Logger LOG = Logger.getLogger(SqliteNativeLibrary.class.getName());
    static final String PATH = "org.sqlite.lib.path";
    static final String NAME = "org.sqlite.lib.name";

    /** How many times the work of {@link #prepare()} ran in this class loader (0 or 1; for the tests). */
    private static final AtomicInteger RUNS = new AtomicInteger();

    private SqliteNativeLibrary() {
    }

    /**
     * Points sqlite-jdbc at the kept copy, making it first if needed; see the class comment. The work runs once
     * per class loader, in the initialisation of a holder class: the JVM runs it exactly once, a caller that
     * arrives meanwhile (the warm-up and {@code create} on two threads) waits until it is done, so the properties
     * are set before either lets the driver's loader run, and every later call returns without a lock.
     */
    static void prepare() {
        Once.ran();
    }

    /** Times the work ran (0 before the first {@link #prepare()}, 1 after any number of calls). */
    static int runs() {
        return RUNS.get();
    }

    private static final class Once {
        static {
            prepareOnce();
        }

        static void ran() {
            // the class initialisation above is the work
        }
    }

    private static void prepareOnce() {
        RUNS.incrementAndGet();
        try {
            if (System.getProperty(PATH) != null || System.getProperty(NAME) != null) {
                return; // the operator's choice
            }
            Path home = pluginHome();
            if (home == null) {
                return;
            }
            Path dir = keep(home);
            if (dir != null) {
                System.setProperty(PATH, dir.toString());
                System.setProperty(NAME, org.sqlite.util.LibraryLoaderUtil.getNativeLibName());
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // never out of the class initialisation: a failure there would fail every later call
            LOG.fine(() -> "SQLite native library not kept in the plugin directory: " + e);
        }
    }

    /**
     * The copy of the library for this platform under {@code home}, made when missing.
     *
     * @return its directory, or null when the driver's jar holds no library for this platform
     */
    static Path keep(Path home) throws IOException {
        String name = org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
        String resource = org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name;
        Path dir = home.resolve("native").resolve(org.sqlite.SQLiteJDBCLoader.getVersion())
                .resolve(org.sqlite.util.OSInfo.getNativeLibFolderPathForCurrentOS());
        Path lib = dir.resolve(name);
        if (Files.isRegularFile(lib) && Files.size(lib) > 0) {
            return dir;
        }
        try (InputStream in = org.sqlite.SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".lib-", ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return dir;
    }

    /** The unpacked plugin directory sqlite-jdbc's jar lies in ({@code <home>/lib/*.jar}), or null. */
    private static Path pluginHome() {
        CodeSource source = org.sqlite.JDBC.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        Path jar;
        try {
            jar = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
        Path lib = jar.getParent();
        if (!Files.isRegularFile(jar) || lib == null || !lib.getFileName().toString().equals("lib")) {
            return null;
        }
        Path home = lib.getParent();
        return home != null && Files.isRegularFile(home.resolve("plugin.properties")) && Files.isWritable(home)
                ? home : null;
    }
}
