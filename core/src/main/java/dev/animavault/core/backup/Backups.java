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
import java.time.Duration;
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
            FileStoreCopy how = copyFileStore(store.path(), dest.resolve(STORE_DIR), SNAPSHOT_WAIT);
            manifest.append("store-copy ").append(how.manifestLine()).append('\n');
            out.println("file store: " + store.path() + " -> " + dest.resolve(STORE_DIR) + " (" + how.describe() + ")");
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

    /** How long a backup waits for a serving file backend to answer its snapshot request. */
    static final Duration SNAPSHOT_WAIT = Duration.ofSeconds(60);
    static final String SERVING = ".serving";
    static final String SNAPSHOT_REQUEST = ".snapshot-request";
    static final String SNAPSHOT_PREFIX = ".snapshot-";

    /** How a file store was copied: from a single-instant snapshot, or by passes (see {@link #copyFileStore}). */
    record FileStoreCopy(boolean snapshot, long files, int passes) {
        String describe() {
            return snapshot ? "single-instant snapshot of " + files + " files taken by the serving vault"
                    : passes > MAX_PASSES ? "no snapshot answer and the store never stood still in " + MAX_PASSES
                    + " passes: consistent per item only" : "store not served; copied in " + passes + " passes";
        }

        String manifestLine() {
            return snapshot ? "snapshot " + files : "passes " + passes;
        }
    }

    /**
     * Copies a file store as of one instant. When a vault serves it ({@code .serving} names a live
     * process), the copy comes from a snapshot that vault takes on request: it pauses its writers, hard-links
     * every file into {@code .snapshot-<name>/} (files are never changed in place, so a link keeps the
     * content of that instant) and lets them go; this copies the links and deletes them (see the
     * storage-file plugin's {@code Snapshots}). A store nobody serves is copied directly, again until a pass
     * finds nothing changed. If a serving vault does not answer within {@code wait} (an older version),
     * the copy falls back to passes: consistent per item (files are replaced whole and checksummed) and,
     * after a quiet pass, as a whole. The lock file is never opened (on Linux that would drop the server's
     * lock if both ran in one process).
     */
    static FileStoreCopy copyFileStore(Path store, Path target, Duration wait) throws IOException {
        if (servedByALiveProcess(store)) {
            String name = java.util.HexFormat.of().formatHex(randomBytes());
            Path snapshot = store.resolve(SNAPSHOT_PREFIX + name);
            Path tmp = store.resolve(".tmp-" + name);
            Files.writeString(tmp, name);
            Files.move(tmp, store.resolve(SNAPSHOT_REQUEST), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            long deadline = System.nanoTime() + wait.toNanos();
            try {
                while (!Files.isRegularFile(snapshot.resolve(".done")) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for the file store's snapshot", e);
            }
            try {
                if (Files.isRegularFile(snapshot.resolve(".done"))) {
                    long files = Long.parseLong(Files.readString(snapshot.resolve(".done")).trim());
                    Files.delete(snapshot.resolve(".done"));
                    copyTree(snapshot, target);
                    return new FileStoreCopy(true, files, 1);
                }
                Files.deleteIfExists(store.resolve(SNAPSHOT_REQUEST));
            } finally {
                deleteTree(snapshot);
            }
        }
        return new FileStoreCopy(false, 0, copyByPasses(store, target));
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    /**
     * Whether {@code .serving} names a process that is alive (on this host; a process of another host is
     * assumed alive). A stale file after a crash names a dead pid.
     */
    static boolean servedByALiveProcess(Path store) throws IOException {
        Path serving = store.resolve(SERVING);
        String line;
        try {
            line = Files.readString(serving).trim();
        } catch (NoSuchFileException e) {
            return false;
        }
        int at = line.indexOf('@');
        int space = line.indexOf(' ', Math.max(at, 0));
        if (at <= 0) {
            return true;
        }
        String host = line.substring(at + 1, space < 0 ? line.length() : space);
        String localHost;
        try {
            localHost = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            localHost = "localhost";
        }
        if (!host.equals(localHost)) {
            return true;
        }
        try {
            long pid = Long.parseLong(line.substring(0, at));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /**
     * Copies the store's files, repeated (only files whose size or modification time changed) until a
     * pass finds nothing changed, at most {@value #MAX_PASSES} passes. Returns the passes made,
     * {@code MAX_PASSES + 1} when the store never stood still.
     */
    static int copyByPasses(Path store, Path target) throws IOException {
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
                    || rel.getNameCount() >= 1 && (rel.getName(0).toString().startsWith(SNAPSHOT_PREFIX)
                    || rel.getName(0).toString().equals(SERVING))
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
