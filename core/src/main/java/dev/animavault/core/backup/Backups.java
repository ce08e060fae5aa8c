package dev.animavault.core.backup;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Online backup and restore of a vault's store, audit trail and (only when asked) root key. A backup
 * is a directory:
 * <pre>
 * &lt;dest&gt;/BACKUP            what it holds: storage type, time, files
 * &lt;dest&gt;/anima-vault.db    SQLite: a consistent copy made by VACUUM INTO while the server serves
 * &lt;dest&gt;/store/            file backend: the store's files (see {@link #copyFileStore})
 * &lt;dest&gt;/audit/            the data directory's audit/ files (append-only: a copy is a prefix)
 * &lt;dest&gt;/root.key          only with --include-root-key
 * </pre>
 * PostgreSQL is refused: use {@code pg_dump} (see docs/storage-backends.md).
 */
public final class Backups {

    static final String SQLITE_FILE = "anima-vault.db";
    static final String STORE_DIR = "store";
    static final String MANIFEST = "BACKUP";
    /** Passes the file-store copy makes at most, looking for one in which nothing changed. */
    static final int MAX_PASSES = 5;

    private Backups() {
    }

    /** The store a configuration uses: "sqlite" with its file, "file" with its directory, or "postgresql". */
    record Store(String kind, Path path) {
    }

    static Store storeOf(VaultConfig config) {
        ProviderSpec s = config.storage();
        Path data = config.dataDir();
        switch (s.type()) {
            case "file" -> {
                String p = s.config().getOrDefault("path", "");
                return new Store("file", (p.isBlank() ? data.resolve("store") : data.resolve(p)).toAbsolutePath()
                        .normalize());
            }
            case "jdbc" -> {
                String url = s.config().getOrDefault("url", "").trim();
                if (url.isEmpty()) {
                    return new Store("sqlite", data.resolve(SQLITE_FILE).toAbsolutePath().normalize());
                }
                if (url.startsWith("jdbc:sqlite:")) {
                    String rest = url.substring("jdbc:sqlite:".length());
                    int q = rest.indexOf('?');
                    return new Store("sqlite", data.resolve(q < 0 ? rest : rest.substring(0, q)).toAbsolutePath()
                            .normalize());
                }
                return new Store("postgresql", null);
            }
            default -> throw new VaultException(ErrorCode.CONFIGURATION, "backup of storage '" + s.type()
                    + "' is not supported: back up that service with its own tools");
        }
    }

    /**
     * Takes a backup of the vault {@code config} describes into the new directory {@code dest}, loading
     * the plugins itself: for a process of its own ({@code anima-vault backup}). In a process where a
     * vault already runs on that SQLite file, use {@link #backup(VaultConfig, PluginRegistry, Path,
     * boolean, PrintStream)} with that vault's plugins.
     */
    public static void backup(VaultConfig config, Path dest, boolean includeRootKey, PrintStream out) throws IOException {
        backup(config, null, dest, includeRootKey, out);
    }

    /**
     * Takes a backup as {@link #backup(VaultConfig, Path, boolean, PrintStream)} does, but a SQLite copy
     * goes through the storage-jdbc plugin of {@code plugins} (null: load the plugins afresh). In the
     * process of a running vault pass that vault's registry: a freshly loaded plugin brings a second
     * copy of the SQLite native library into the process, and two copies do not see each other's POSIX
     * locks (fcntl locks are per process, and SQLite coordinates its connections of one process only
     * within one library copy). The running vault's checkpoints then overwrite pages and WAL frames
     * under the VACUUM's read snapshot (a copy mixing two states, e.g. a secret's current version 2
     * without version 2), and closing the backup's connection drops the vault's own locks.
     */
    public static void backup(VaultConfig config, PluginRegistry plugins, Path dest, boolean includeRootKey,
                              PrintStream out) throws IOException {
        Store store = storeOf(config);
        if (store.kind().equals("postgresql")) {
            throw new VaultException(ErrorCode.CONFIGURATION, "PostgreSQL storage: back it up with pg_dump "
                    + "(pg_dump -Fc -f vault.dump <db>; see docs/storage-backends.md); this command copies the audit "
                    + "trail and root key only with a SQLite or file store");
        }
        createPrivateDir(dest, true);
        StringBuilder manifest = new StringBuilder("anima-vault backup 1\nstorage " + store.kind() + "\ntaken "
                + java.time.Instant.now() + "\n");
        if (store.kind().equals("sqlite")) {
            vacuumInto(config, plugins, store.path(), dest.resolve(SQLITE_FILE));
            out.println("sqlite: " + store.path() + " -> " + dest.resolve(SQLITE_FILE) + " (VACUUM INTO)");
        } else {
            int passes = copyFileStore(store.path(), dest.resolve(STORE_DIR));
            manifest.append("store-passes ").append(passes).append('\n');
            out.println("file store: " + store.path() + " -> " + dest.resolve(STORE_DIR) + " (" + passes + " pass"
                    + (passes == 1 ? "" : "es") + (passes > MAX_PASSES ? ", the store never stood still: per-file "
                    + "consistent only" : "") + ")");
        }
        Path audit = config.dataDir().resolve("audit");
        if (Files.isDirectory(audit)) {
            copyTree(audit, dest.resolve("audit"));
            out.println("audit trail: " + audit + " -> " + dest.resolve("audit"));
        }
        if (includeRootKey && Files.isRegularFile(config.rootKeyFile())) {
            Files.copy(config.rootKeyFile(), dest.resolve("root.key"));
            setMode(dest.resolve("root.key"), "rw-------");
            manifest.append("root-key included\n");
            out.println("root key included (keep this backup as secret as the key itself)");
        } else {
            out.println("root key NOT included: keep " + config.rootKeyFile() + " backed up separately");
        }
        Files.writeString(dest.resolve(MANIFEST), manifest.toString());
        setMode(dest.resolve(MANIFEST), "rw-------");
    }

    /** Restores {@code backup} into the (stopped) vault {@code config} describes; refuses to overwrite. */
    public static void restore(VaultConfig config, Path backup, PrintStream out) throws IOException {
        if (!Files.isRegularFile(backup.resolve(MANIFEST))) {
            throw new VaultException(ErrorCode.CONFIGURATION, backup + " is not an anima-vault backup (no " + MANIFEST
                    + ")");
        }
        Store store = storeOf(config);
        String manifest = Files.readString(backup.resolve(MANIFEST));
        if (!manifest.contains("storage " + store.kind() + "\n")) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the backup is of another storage kind than the "
                    + "configuration's (" + store.kind() + "); use 'anima-vault migrate' to change backends");
        }
        createPrivateDir(config.dataDir(), false);
        if (store.kind().equals("sqlite")) {
            if (Files.exists(store.path())) {
                throw exists(store.path());
            }
            Files.copy(backup.resolve(SQLITE_FILE), store.path());
            setMode(store.path(), "rw-------");
        } else {
            if (Files.exists(store.path())) {
                throw exists(store.path());
            }
            copyTree(backup.resolve(STORE_DIR), store.path());
        }
        out.println("restored " + store.kind() + " store to " + store.path());
        if (Files.isDirectory(backup.resolve("audit"))) {
            Path audit = config.dataDir().resolve("audit");
            if (Files.exists(audit)) {
                out.println("audit trail NOT restored: " + audit + " exists");
            } else {
                copyTree(backup.resolve("audit"), audit);
                out.println("restored audit trail to " + audit);
            }
        }
        if (Files.isRegularFile(backup.resolve("root.key")) && !Files.exists(config.rootKeyFile())) {
            Files.copy(backup.resolve("root.key"), config.rootKeyFile());
            setMode(config.rootKeyFile(), "rw-------");
            out.println("restored root key to " + config.rootKeyFile());
        }
    }

    private static VaultException exists(Path p) {
        return new VaultException(ErrorCode.ALREADY_EXISTS, p + " exists: restore only into an empty place "
                + "(move it away first)");
    }

    /**
     * {@code VACUUM INTO}: SQLite writes a compacted copy of the database as of one read transaction,
     * while the server keeps reading and writing (WAL). The driver comes from the storage-jdbc plugin.
     */
    private static void vacuumInto(VaultConfig config, PluginRegistry plugins, Path db, Path target)
            throws IOException {
        if (!Files.isRegularFile(db)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "no SQLite database at " + db);
        }
        if (plugins != null) {
            vacuumInto(plugins, db, target);
            return;
        }
        try (PluginRegistry registry = PluginRegistry.load(config.pluginsDir())) {
            vacuumInto(registry, db, target);
        }
    }

    private static void vacuumInto(PluginRegistry registry, Path db, Path target) throws IOException {
        try {
            PluginRegistry.Registered<?> jdbc = PluginRegistry.require(registry.storageBackends(), "jdbc",
                    "storage backend", "vault.storage.type");
            Driver driver = (Driver) Class.forName("org.sqlite.JDBC", true, jdbc.loader()).getDeclaredConstructor()
                    .newInstance();
            Properties p = new Properties();
            p.setProperty("busy_timeout", "10000");
            try (Connection c = driver.connect("jdbc:sqlite:" + db, p);
                 PreparedStatement st = c.prepareStatement("VACUUM INTO ?")) {
                st.setString(1, target.toString());
                st.execute();
            }
            setMode(target, "rw-------");
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "VACUUM INTO " + target + " failed: " + e, e);
        }
    }

    /**
     * Copies a live file store. Its files are only ever replaced whole by atomic renames and carry a
     * checksum, so every copied file is a complete, valid version. The copy is repeated (only files
     * whose size or modification time changed) until a pass finds nothing changed, at most
     * {@value #MAX_PASSES} passes: after a quiet pass the copy equals the store as it stood during that
     * pass. The lock file is never opened (on Linux that would drop the server's lock if both ran in one
     * process). Returns the passes made, {@code MAX_PASSES + 1} when the store never stood still.
     */
    static int copyFileStore(Path store, Path target) throws IOException {
        Map<Path, String> copied = new HashMap<>();
        for (int pass = 1; pass <= MAX_PASSES; pass++) {
            int changed = syncPass(store, target, copied);
            if (changed == 0 && pass > 1) {
                return pass;
            }
        }
        return MAX_PASSES + 1;
    }

    private static int syncPass(Path store, Path target, Map<Path, String> copied) throws IOException {
        int changed = 0;
        java.util.Set<Path> seen = new java.util.HashSet<>();
        java.util.List<Path> all;
        try (Stream<Path> s = Files.walk(store)) {
            all = s.toList();
        } catch (java.io.UncheckedIOException e) {
            return 1; // a directory vanished under the walk: count as a change and go again
        }
        for (Path p : all) {
            Path rel = store.relativize(p);
            String name = p.getFileName().toString();
            if (name.equals(".lock") || name.startsWith(".tmp-") || rel.startsWith(".trash")
                    || rel.toString().contains("/.tmp-")) {
                continue;
            }
            Path to = target.resolve(rel.toString());
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                changed++;
                continue;
            }
            seen.add(rel);
            if (a.isDirectory()) {
                createPrivateDir(to, false);
                continue;
            }
            String stamp = a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey();
            if (stamp.equals(copied.get(rel))) {
                continue;
            }
            try {
                Files.createDirectories(to.getParent());
                Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                setMode(to, "rw-------");
                copied.put(rel, stamp);
                changed++;
            } catch (NoSuchFileException e) {
                changed++;
            }
        }
        // files deleted from the store since an earlier pass
        for (Path rel : java.util.List.copyOf(copied.keySet())) {
            if (!seen.contains(rel)) {
                Files.deleteIfExists(target.resolve(rel.toString()));
                copied.remove(rel);
                changed++;
            }
        }
        removeEmptyDirsNotIn(target, seen, target);
        return changed;
    }

    private static void removeEmptyDirsNotIn(Path dir, java.util.Set<Path> seen, Path target) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path c : children) {
                if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    removeEmptyDirsNotIn(c, seen, target);
                    Path rel = target.relativize(c);
                    if (!seen.contains(rel)) {
                        try (Stream<Path> s = Files.list(c)) {
                            if (s.findAny().isEmpty()) {
                                Files.delete(c);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    createPrivateDir(t, false);
                } else if (!p.getFileName().toString().equals(".lock")) {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                    setMode(t, "rw-------");
                }
            }
        }
    }

    private static void createPrivateDir(Path dir, boolean mustBeNew) throws IOException {
        if (Files.exists(dir)) {
            if (mustBeNew) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw new FileAlreadyExistsException(dir + " exists and is not empty");
                    }
                }
            }
            return;
        }
        Files.createDirectories(dir);
        setMode(dir, "rwx------");
    }

    private static void setMode(Path p, String mode) throws IOException {
        if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        }
    }
}
