package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.net.InetAddress;
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
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The exclusive OS lock ({@link FileChannel#tryLock()}) on {@code <store>/.lock}, held from the
 * backend's start to its {@link #close()}: only one process may use a store directory, because the
 * backend's conditional writes and its listing index live in that process's memory. The OS drops the lock
 * when the process dies, {@code kill -9} included; the file stays and holds {@code pid@host since time}
 * of the last holder, for the error message of the next one that finds it locked.
 *
 * <p>As in storage-jdbc's lock, backends of one JVM register in the system properties first (a map
 * shared across PF4J's class loaders): on Linux, closing any descriptor of a file drops all of the
 * process's {@code fcntl} locks on it, so a second backend must never even open a held lock file.
 */
final class StoreLock implements AutoCloseable {

    static final String FILE_NAME = ".lock";
    private static final String REGISTRY_PREFIX = "dev.animavault.storage.file.lock:";
    private static final List<FileChannel> KEPT_OPEN = new CopyOnWriteArrayList<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String registryKey;
    private final String token;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StoreLock(Path file, FileChannel channel, FileLock lock, String registryKey, String token) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.registryKey = registryKey;
        this.token = token;
    }

    /** What this process writes into the lock file: {@code <pid>@<host> since <time>}. */
    static String holderLine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            host = "unknown-host";
        }
        return ProcessHandle.current().pid() + "@" + host + " since " + Instant.now();
    }

    /**
     * Locks {@code root} (an existing directory) without waiting.
     *
     * @throws VaultException {@code STORAGE_UNAVAILABLE} naming the holder when the store is in use
     */
    static StoreLock acquire(Path root, boolean posix) {
        Path file = root.resolve(FILE_NAME);
        String registryKey = REGISTRY_PREFIX + file;
        String token = holderLine() + " #" + System.nanoTime();
        if (System.getProperties().putIfAbsent(registryKey, token) != null) {
            throw inUse(root, file, "another storage backend in this process (" + ProcessHandle.current().pid() + ")");
        }
        boolean ok = false;
        try {
            FileChannel channel;
            try {
                FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];
                channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), attrs);
            } catch (IOException e) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the lock file " + file + ": " + e, e);
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                KEPT_OPEN.add(channel);
                throw inUse(root, file, "something else in this process");
            } catch (IOException e) {
                close(channel);
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot lock " + file + ": " + e, e);
            }
            if (lock == null) {
                String holder = holder(channel);
                close(channel);
                throw inUse(root, file, "another process" + (holder.isEmpty() ? "" : ", " + holder + ","));
            }
            try {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((holderLine() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                channel.force(true);
            } catch (IOException e) {
                // the holder line is for messages only
            }
            ok = true;
            return new StoreLock(file, channel, lock, registryKey, token);
        } finally {
            if (!ok) {
                System.getProperties().remove(registryKey, token);
            }
        }
    }

    private static VaultException inUse(Path root, Path file, String who) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the file store " + root + ": "
                + who + " holds it (lock file " + file + "). Stop the other vault server or tool using this "
                + "directory, or give this one another 'path'");
    }

    /** The holder line of the lock file (read without opening another descriptor for it). */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(256);
            channel.read(buf, 0);
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            return s.isEmpty() ? "" : "pid@host " + s.replaceAll("[^\\x20-\\x7e]", "?");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }


    Path file() {
        return file;
    }

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
        close(channel);
        System.getProperties().remove(registryKey, token);
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
