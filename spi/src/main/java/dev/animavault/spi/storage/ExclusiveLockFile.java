package dev.animavault.spi.storage;

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
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An exclusive OS lock ({@link FileChannel#tryLock()}) on a lock file, for a storage backend that must be the
 * only user of its data (for example because it keeps a cache or an index of it in memory), held from
 * {@link #acquire} to {@link #close()}. Built for any storage plugin; the file and jdbc (SQLite) backends use it.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li><b>Across processes</b>: while one process holds the lock, {@link #acquire} in any other process fails
 *       at once (it never waits). The OS releases the lock when the holding process dies, {@code kill -9}
 *       included, so a crash never leaves a store locked.</li>
 *   <li><b>Within one JVM</b>: the OS lock cannot tell two users in one process apart, and on Linux (POSIX
 *       {@code fcntl} locks) closing <em>any</em> descriptor of a file drops <em>every</em> lock the process
 *       holds on it: a second backend that merely opened and closed a held lock file would silently unlock
 *       the first. So a lock file is first registered in a JVM-wide registry and only the registrant opens
 *       it; a second {@link #acquire} of the same file in the JVM is refused without opening it. The
 *       registry is the system properties (key {@value #REGISTRY_PREFIX}{@code <lock file>}, the file with
 *       its directory resolved by {@link Path#toRealPath}, so two spellings of one path are one key),
 *       because it must be shared across class loaders: PF4J gives every plugin manager its own copy of a
 *       plugin's classes, and the SPI can be loaded more than once, so a static field would not do. The
 *       registry is one namespace for every user of this class, whatever plugin: two backends of any types
 *       on one lock file are refused.</li>
 *   <li>Code in the JVM that locks the file without this class is seen as an
 *       {@link OverlappingFileLockException}: the refusal is {@link Holder.OtherCodeInThisJvm}, and the
 *       channel this class opened is kept open for the life of the class (closing it would drop that other
 *       code's lock, as above). Nothing else in the process should ever open a lock file while it is held
 *       (a test reading it included).</li>
 *   <li>The file is created owner-only ({@code rw-------}) where the file store supports POSIX permissions,
 *       and is never deleted (deleting it would let one process lock an unlinked file while another locks a
 *       new one). Its content is the holder's {@code holderLine} (UTF-8, then a line feed), for the error
 *       message of whoever finds it locked; it is not forced to disk, as the lock itself does not outlive the
 *       machine.</li>
 * </ul>
 *
 * <p>Threading: {@link #acquire} may be called from any thread, concurrently (of concurrent calls on one
 * file exactly one succeeds); {@link #close()} is idempotent, thread-safe and never throws.
 */
public final class ExclusiveLockFile implements AutoCloseable {

    /** The prefix of the JVM-wide registry's keys in the system properties (see the class comment). */
    public static final String REGISTRY_PREFIX = "dev.animavault.spi.storage.ExclusiveLockFile:";
    /** How much of a lock file is read for the holder line. */
    private static final int HOLDER_BYTES = 256;
    /** Channels that must stay open (see the class comment); never cleared. */
    private static final List<FileChannel> KEPT_OPEN = new CopyOnWriteArrayList<>();

    /** Who holds a lock file that {@link #acquire} was refused. */
    public sealed interface Holder {
        /** Another {@link ExclusiveLockFile} in this JVM (from any class loader) holds it. */
        record ThisJvm() implements Holder {
        }

        /** Other code in this JVM holds an OS lock on the file without this class. */
        record OtherCodeInThisJvm() implements Holder {
        }

        /**
         * Another process holds it.
         *
         * @param holderLine what the holder wrote into the file, trimmed, characters other than printable ASCII
         *                   replaced by {@code ?}; empty when the file is empty or unreadable. Meant for
         *                   messages only: anyone may have written it.
         */
        record OtherProcess(String holderLine) implements Holder {
            /** @param holderLine as described; not null */
            public OtherProcess {
                requireNonNull(holderLine, "holderLine is null");
            }
        }
    }

    /**
     * The exceptions {@link #acquire} throws, so that each backend words them for its users. Called on the
     * thread of {@link #acquire}, at most once per call.
     */
    @FunctionalInterface
    public interface Refusals {
        /**
         * The lock file is held.
         *
         * @param file   the lock file, as given to {@link #acquire}
         * @param holder who holds it
         * @return the exception {@link #acquire} throws, usually {@link ErrorCode#STORAGE_UNAVAILABLE}
         */
        VaultException inUse(Path file, Holder holder);

        /**
         * The lock file cannot be opened (or created, or its directory's file store read).
         *
         * @param file  the lock file, as given to {@link #acquire}
         * @param cause what failed
         * @return by default {@code STORAGE_UNAVAILABLE} "cannot open the lock file &lt;file&gt;: &lt;cause&gt;"
         */
        default VaultException cannotOpen(Path file, IOException cause) {
            return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot open the lock file " + file + ": "
                    + cause, cause);
        }

        /**
         * The OS refused the lock operation itself (not because the file is held).
         *
         * @param file  the lock file, as given to {@link #acquire}
         * @param cause what failed
         * @return by default {@code STORAGE_UNAVAILABLE} "cannot lock &lt;file&gt;: &lt;cause&gt;"
         */
        default VaultException cannotLock(Path file, IOException cause) {
            return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "cannot lock " + file + ": " + cause, cause);
        }
    }

    /** The refusals of {@link #acquire(Path, String)}: STORAGE_UNAVAILABLE naming the file and the holder. */
    private static final Refusals PLAIN = (file, holder) -> new VaultException(ErrorCode.STORAGE_UNAVAILABLE,
            "the lock file " + file + " is held by " + switch (holder) {
                case Holder.ThisJvm h -> "another storage backend in this process";
                case Holder.OtherCodeInThisJvm h -> "something else in this process";
                case Holder.OtherProcess h -> "another process" + (h.holderLine().isEmpty() ? ""
                        : " (" + h.holderLine() + ")");
            });

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final String registryKey;
    private final String token;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ExclusiveLockFile(Path file, FileChannel channel, FileLock lock, String registryKey, String token) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.registryKey = registryKey;
        this.token = token;
    }

    /**
     * Locks {@code file} without waiting, with plain messages ({@code STORAGE_UNAVAILABLE} naming the file and
     * the holder); see {@link #acquire(Path, String, Refusals)}.
     *
     * @param file       the lock file, created if missing (its directory must exist)
     * @param holderLine one line naming this holder, written into the file
     * @return the held lock
     * @throws VaultException {@code STORAGE_UNAVAILABLE} when the file is held or cannot be opened or locked
     */
    public static ExclusiveLockFile acquire(Path file, String holderLine) {
        return acquire(file, holderLine, PLAIN);
    }

    /**
     * Locks {@code file} without waiting: registers it in the JVM-wide registry (refused if registered), opens
     * it (creating it owner-only where POSIX), takes the OS lock, and writes {@code holderLine} into it.
     * On any failure nothing stays registered, and nothing stays open except after
     * {@link Holder.OtherCodeInThisJvm} (see the class comment).
     *
     * @param file       the lock file, created if missing (its directory must exist)
     * @param holderLine one line naming this holder for whoever finds the file locked (for example a pid); no
     *                   line breaks; at most the first 256 bytes of the file are read back
     * @param refusals   the exceptions to throw
     * @return the held lock; close it to release
     * @throws VaultException           what {@code refusals} returns, when the file is held or cannot be opened
     *                                  or locked
     * @throws IllegalArgumentException if {@code holderLine} has a line break
     */
    public static ExclusiveLockFile acquire(Path file, String holderLine, Refusals refusals) {
        requireNonNull(file, "file is null");
        requireNonNull(holderLine, "holderLine is null");
        requireNonNull(refusals, "refusals is null");
        if (holderLine.indexOf('\n') >= 0 || holderLine.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("holderLine must be one line");
        }
        String registryKey = registryKey(file);
        String token = ProcessHandle.current().pid() + "/" + System.identityHashCode(new Object()) + "/"
                + System.nanoTime();
        if (System.getProperties().putIfAbsent(registryKey, token) != null) {
            throw refusals.inUse(file, new Holder.ThisJvm());
        }
        boolean ok = false;
        try {
            FileChannel channel;
            try {
                channel = open(file);
            } catch (IOException e) {
                throw refusals.cannotOpen(file, e);
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                KEPT_OPEN.add(channel); // closing it would release the other code's lock
                throw refusals.inUse(file, new Holder.OtherCodeInThisJvm());
            } catch (IOException e) {
                closeQuietly(channel);
                throw refusals.cannotLock(file, e);
            }
            if (lock == null) {
                String holder = holder(channel);
                closeQuietly(channel);
                throw refusals.inUse(file, new Holder.OtherProcess(holder));
            }
            try {
                channel.truncate(0);
                channel.write(ByteBuffer.wrap((holderLine + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            } catch (IOException e) {
                // the holder line is for messages only; the lock is what counts
            }
            ok = true;
            return new ExclusiveLockFile(file, channel, lock, registryKey, token);
        } finally {
            if (!ok) {
                System.getProperties().remove(registryKey, token);
            }
        }
    }

    /** The registry key of {@code file}: its directory resolved to its real path when it exists. */
    static String registryKey(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        Path dir = absolute.getParent();
        Path name = absolute.getFileName();
        if (dir != null && name != null) {
            try {
                absolute = dir.toRealPath().resolve(name);
            } catch (IOException e) {
                // not there: opening the file will say so
            }
        }
        return REGISTRY_PREFIX + absolute;
    }

    private static FileChannel open(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        boolean posix = parent != null && Files.getFileStore(parent).supportsFileAttributeView("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), attrs);
    }

    /** The holder line in the file (read through our own descriptor, never another one), or "". */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(HOLDER_BYTES);
            channel.read(buf, 0);
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            return s.replaceAll("[^\\x20-\\x7e]", "?");
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The lock file, as given to {@link #acquire}. */
    public Path file() {
        return file;
    }

    /**
     * Releases the lock, closes the file and unregisters it; idempotent, thread-safe, never throws. The file
     * stays, with the last holder's line.
     */
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

    @Override
    public String toString() {
        return "ExclusiveLockFile[" + file + (closed.get() ? ", released]" : ", held]");
    }
}
