package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An exclusive OS lock ({@link FileChannel#tryLock()}) on {@code <database>.lock} next to a SQLite
 * database, held from the backend's start to its {@link #close()}: the read cache
 * ({@link SecretReadCache}) is only coherent while this process is the database's only writer, so a
 * second Anima Vault process on the same file must not start. The OS releases the lock when the process
 * dies, also on {@code kill -9}; the file itself stays (removing it would let a process lock an unlinked
 * file while another locks a new one). The file holds the holder's pid, for the error message only.
 *
 * <p><b>Within one JVM</b> the OS lock cannot tell two backends apart, and worse: on Linux (POSIX
 * {@code fcntl} locks) closing <em>any</em> descriptor of the file releases every lock the process holds
 * on it, so a second backend must not even open the lock file while the first holds it (nor may
 * anything else in the process, a test reading the file included). Lock files held in this JVM are
 * therefore registered first in a JVM-wide map, and only the registrant opens the file. The map must be
 * shared across class loaders (PF4J gives every plugin manager its own loader of this class, so a static
 * field would not do): it is the system properties, key {@value #REGISTRY_PREFIX}{@code <lock file>},
 * value a token of the holder. Should {@link OverlappingFileLockException} still occur (something else
 * in the JVM locked the file), the channel is kept open for the life of the class, as closing it would
 * release that other lock.
 */
final class SqliteLockFile implements AutoCloseable {

    static final String REGISTRY_PREFIX = "dev.animavault.storage.jdbc.lock:";
    /** Channels that must stay open (see the class comment); never cleared. */
    private static final java.util.List<FileChannel> KEPT_OPEN = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private final String registryKey;
    private final String token;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private SqliteLockFile(Path file, FileChannel channel, FileLock lock, String registryKey, String token) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.registryKey = registryKey;
        this.token = token;
    }

    /** The lock file of {@code database}: {@code <database>.lock} in the same directory. */
    static Path lockFileOf(Path database) {
        Path absolute = database.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        try {
            dir = dir.toRealPath(); // one registry key however the directory is reached
        } catch (IOException e) {
            // not there yet: opening the lock file will say so
        }
        return dir.resolve(absolute.getFileName() + ".lock");
    }

    /**
     * Takes the lock of {@code database}, without waiting.
     *
     * @throws VaultException {@code STORAGE_UNAVAILABLE} when another process, or another backend in this
     *                        one, holds it, or the lock file cannot be opened
     */
    static SqliteLockFile acquire(Path database) {
        requireNonNull(database, "database is null");
        Path file = lockFileOf(database);
        String registryKey = REGISTRY_PREFIX + file;
        String token = "pid " + ProcessHandle.current().pid() + ", backend " + System.identityHashCode(new Object())
                + "/" + System.nanoTime();
        Object other = System.getProperties().putIfAbsent(registryKey, token);
        if (other != null) {
            throw inUse(database, file, "another Anima Vault storage backend in this process");
        }
        boolean ok = false;
        try {
            FileChannel channel;
            try {
                channel = open(file);
            } catch (IOException e) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the lock file " + file
                        + " of the SQLite database " + database.toAbsolutePath() + ": " + e, e);
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                KEPT_OPEN.add(channel); // closing it would release the other holder's lock
                throw inUse(database, file, "another Anima Vault process, or something else in this one,");
            } catch (IOException e) {
                closeQuietly(channel);
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot lock " + file + ": " + e, e);
            }
            if (lock == null) {
                String holder = holder(channel);
                closeQuietly(channel);
                throw inUse(database, file, "another Anima Vault process" + (holder.isEmpty() ? "" : " (pid " + holder + ")"));
            }
            try {
                byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(pid), 0);
            } catch (IOException e) {
                // the pid is for messages only; the lock is what counts
            }
            ok = true;
            return new SqliteLockFile(file, channel, lock, registryKey, token);
        } finally {
            if (!ok) {
                System.getProperties().remove(registryKey, token);
            }
        }
    }

    private static VaultException inUse(Path database, Path file, String who) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot use the SQLite database "
                + database.toAbsolutePath() + ": " + who + " is using it (its lock file " + file + " is locked). "
                + "Stop the other server, or give this one its own data directory: with the read cache on, this "
                + "process must be the database's only user");
    }

    private static FileChannel open(Path file) throws IOException {
        Path parent = file.getParent();
        boolean posix = parent != null && Files.getFileStore(parent).supportsFileAttributeView("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        return FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), attrs);
    }

    /** The pid written by the holder, or "" when unreadable. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32);
            channel.read(buf, 0);
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
            return s.matches("[0-9]{1,19}") ? s : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The lock file. */
    Path file() {
        return file;
    }

    /** Releases the lock; idempotent, never throws. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException | RuntimeException e) {
            // closing the channel releases it too
        }
        closeQuietly(channel);
        System.getProperties().remove(registryKey, token);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
