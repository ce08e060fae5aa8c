package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The open segment's file as the sink appends to it: created owner-only, locked exclusively (one writer
 * per file, also across processes), appended with one {@code write} per batch and cut back when an append
 * fails, blocks reserved ahead with {@link Preallocator}. Its {@link #fileKey()} lets the sink notice the
 * file deleted or replaced under it. Guarded by the sink's write lock, except {@link #force} and
 * {@link #reserveAhead}, which the background thread calls.
 */
final class SegmentWriter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SegmentWriter.class.getName());
    /** How far ahead of the end disk blocks are kept reserved. */
    static final long RESERVE_AHEAD = 64L << 20;

    private final Path path;
    private final RandomAccessFile file;
    private final FileLock lock;
    private final Object fileKey;
    /** Made on the first {@link #reserveAhead} once {@link PreallocatorStart#ready()}; null before and where unsupported. */
    private volatile Preallocator preallocator;
    /** Guarded by {@code this}: whether a preallocator was asked for (once), and whether this writer is closed. */
    private boolean preallocationTried;
    private boolean closed;
    private final PreallocatorStart start;
    /** Where the file pointer is, or -1 when unknown (then the next append seeks). */
    private long position = -1;
    /** The offset up to which blocks are reserved; the background thread's. */
    private long reservedTo;

    private SegmentWriter(Path path, RandomAccessFile file, FileLock lock, PreallocatorStart start) throws IOException {
        this.path = path;
        this.file = file;
        this.lock = lock;
        this.start = start;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    /**
     * Opens (creating owner-only if needed) and locks the segment file.
     *
     * @throws VaultException {@code AUDIT_UNAVAILABLE} when it is no regular file or another sink holds it
     */
    static SegmentWriter open(Path path) throws IOException {
        return open(path, PreallocatorStart.SHARED);
    }

    /** {@link #open(Path)}, reserving blocks once {@code start} is {@linkplain PreallocatorStart#ready() ready}. */
    static SegmentWriter open(Path path, PreallocatorStart start) throws IOException {
        createIfMissing(path);
        if (!Files.isRegularFile(path)) {
            // e.g. /dev/full or /dev/zero: reading it to rebuild the index would never end
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit path " + path + " is not a regular "
                    + "file (a device, directory, pipe or socket); name a file such as audit/audit.jsonl");
        }
        RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
        try {
            FileLock lock;
            try {
                lock = raf.getChannel().tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + path
                        + " is in use by another audit sink (one writer per file)");
            }
            return new SegmentWriter(path, raf, lock, start);
        } catch (IOException | RuntimeException e) {
            raf.close();
            throw e;
        }
    }

    Object fileKey() {
        return fileKey;
    }

    RandomAccessFile file() {
        return file;
    }

    /** Appends {@code length} bytes at {@code end}; on failure cuts the file back (and says whether that worked). */
    void append(byte[] bytes, int length, long end, boolean fsync) throws IOException {
        try {
            if (position != end) {
                file.seek(end);
            }
            position = -1; // unknown until the write returns
            file.write(bytes, 0, length);
            position = end + length;
            if (fsync) {
                file.getFD().sync();
            }
        } catch (IOException e) {
            position = -1;
            try {
                file.setLength(end);
            } catch (IOException cut) {
                e.addSuppressed(cut);
                throw new UncutAppendException(e);
            }
            throw e;
        }
    }

    /** An append failed and the partial bytes could not be cut off. */
    static final class UncutAppendException extends IOException {
        private static final long serialVersionUID = 1L;

        UncutAppendException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    void sync() throws IOException {
        file.getFD().sync();
    }

    /** Forces appended data (background flush). */
    void force() throws IOException {
        file.getChannel().force(false);
    }

    /** Tops up the blocks reserved past {@code appended} when less than half of {@link #RESERVE_AHEAD} is left. */
    void reserveAhead(long appended) {
        Preallocator p = preallocator;
        if (p == null) {
            p = openPreallocator();
        }
        if (p == null || reservedTo - appended >= RESERVE_AHEAD / 2) {
            return;
        }
        long from = Math.max(reservedTo, appended);
        if (p.reserve(from, RESERVE_AHEAD)) {
            reservedTo = from + RESERVE_AHEAD;
        }
    }

    private synchronized Preallocator openPreallocator() {
        if (closed || preallocationTried || !start.ready()) {
            return null;
        }
        preallocationTried = true;
        Preallocator p = Preallocator.open(path).orElse(null);
        preallocator = p;
        return p;
    }

    boolean preallocates() {
        return preallocator != null;
    }

    /** Gives blocks reserved past {@code end} back. */
    void trim(long end) {
        if (preallocator == null) {
            return;
        }
        try {
            file.setLength(end);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "audit file {0}: trimming failed: {1}", path, e.toString());
        }
    }

    @Override
    public void close() {
        Preallocator p;
        synchronized (this) {
            closed = true;
            p = preallocator;
        }
        if (p != null) {
            p.close();
        }
        try {
            file.close(); // releases the lock
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed: {0}", e.toString());
        }
    }

    static void createIfMissing(Path path) throws IOException {
        boolean posix = path.getFileSystem().supportedFileAttributeViews().contains("posix");
        Path parent = path.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            if (posix) {
                Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(parent);
            }
        }
        try {
            if (posix) {
                Files.createFile(path, ownerOnly());
            } else {
                Files.createFile(path);
            }
            if (parent != null) {
                syncDirectory(parent);
            }
        } catch (FileAlreadyExistsException e) {
            if (posix && Files.isRegularFile(path)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
                if (!Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE).containsAll(perms)) {
                    LOG.log(System.Logger.Level.WARNING, "audit file {0} is accessible to other users ({1}); 0600 is advised",
                            path, PosixFilePermissions.toString(perms));
                }
            }
        }
    }

    static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }

    /** Makes directory entries durable (Linux; a no-op where unsupported). */
    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot sync directory {0}: {1}", dir, e.toString());
        }
    }
}
