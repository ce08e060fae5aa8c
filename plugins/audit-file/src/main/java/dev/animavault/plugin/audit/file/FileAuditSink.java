package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.crypto.SecretKey;

/**
 * An audit sink that appends one JSON object per line to a file, chains the lines with SHA-256 (see
 * {@link AuditHashChain}) and answers queries from an in-memory index.
 *
 * <p><b>Writing.</b> A batch is encoded into one buffer and appended with one {@code write} system call
 * (then one fsync when {@code fsync} is on). When {@code write} returns, the batch is in the operating
 * system (survives a process crash) or, with {@code fsync}, on the device (survives power loss). If the
 * append fails, the file is cut back to where the batch began, so a failed batch leaves no partial line;
 * if even that fails the sink refuses further writes (fail closed).
 *
 * <p><b>Background work.</b> A daemon thread keeps disk blocks reserved ahead of the end of the file
 * (see {@link Preallocator}; 64 MiB, topped up when half is used) and, without {@code fsync}, forces the
 * file to the device every {@code flushInterval} when lines were appended since its previous pass.
 * Neither happens under the write lock, so appends go on meanwhile. Power loss then takes at most about
 * one interval of events. Closing gives the unused reservation back.
 *
 * <p><b>Watching the file and the disk.</b> Once a second the same thread checks that the file at the
 * configured path is still the file the sink holds open (its {@code fileKey}, inode and device on
 * Linux) and measures the file system's usable space. A file deleted, moved or replaced while open
 * makes the sink refuse every later write (fail closed; the events would go to a file nobody will read)
 * until the vault restarts and opens whatever is at the path then (a new file starts a new chain from
 * GENESIS; the old chain's head is in the log). Events written between the change and the check (at
 * most about a second) are in the old file only. A write that would leave less than
 * {@code minFreeBytes} free is refused, estimated from the last measurement minus what was appended
 * since; it recovers by itself once space is freed. {@link #health()} reports all of this without
 * taking the write lock.
 *
 * <p><b>Opening.</b> The sink takes an exclusive lock on the file (a second process, or a second sink in
 * this process, is refused), reads it once to build the index and continue the chain, and verifies the
 * chain unless {@code verify-on-open} is off. Bytes after the last newline are the torn tail of a write
 * interrupted by a crash (the batch was never acknowledged): they are copied to
 * {@code <file>.torn-<epoch-millis>} for inspection and cut off, so the chain verifies from there on.
 *
 * <p><b>Querying.</b> The index keeps, per line, its offset, length, timestamp and codes for
 * organization, identity and action. A query scans it from the newest line (or the cursor) toward older
 * ones and reads only the matching lines, in contiguous runs. The cursor is the base64url offset of the
 * last returned line; it stays valid as lines are appended and across restarts.
 *
 * <p><b>Threads.</b> {@link #write} is meant for one thread at a time (as core's broker calls it) but
 * is serialized anyway; {@link #query} and {@link #probe} may run on any thread concurrently with it;
 * {@link #close} may come from any thread, waits for a write in progress, and is idempotent.
 */
public final class FileAuditSink implements QueryableAuditSink {
    private static final System.Logger LOG = System.getLogger(FileAuditSink.class.getName());
    private static final String CURSOR_PREFIX = "o1:";
    private static final Base64.Encoder CURSOR_ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder CURSOR_DECODER = Base64.getUrlDecoder();

    private final FileAuditSinkConfig config;
    private final AuditLineCodec codec = new AuditLineCodec();
    private final MessageDigest sha256 = AuditHashChain.sha256();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    private final AuditIndex index = new AuditIndex();
    private final LineBuffer buffer = new LineBuffer(64 * 1024);

    private final RandomAccessFile writer;
    private final RandomAccessFile reader;
    private final FileLock lock;
    private final Object fileKey;
    // Guarded by writeLock.
    private long end;
    /** SHA-256 of the last line (all zeros, the GENESIS hex, for an empty file). */
    private final byte[] headHash = new byte[AuditLineCodec.HASH_BYTES];
    /** The chain while a batch is encoded: the hash of the line just encoded. */
    private final byte[] chain = new byte[AuditLineCodec.HASH_BYTES];
    /** Where the writer's file pointer is, or -1 when unknown (then the next append seeks). */
    private long writerPosition = -1;
    private int[] lineStarts = new int[64];
    private boolean failed;
    private volatile boolean closed;
    /** How far ahead of the end disk blocks are kept reserved. */
    static final long RESERVE_AHEAD = 64L << 20;
    /** Where the file ends after the last successful append; read by the background thread. */
    private volatile long appended;
    /** Whether the background thread forces appended lines to the device (no fsync, non-zero interval). */
    private final boolean backgroundFlush;
    /** Reserves blocks ahead, or null where the system cannot; used by the constructor, then the background thread. */
    private final Preallocator preallocator;
    /** The file offset up to which blocks are reserved; the background thread's after construction. */
    private long reservedTo;
    /** Flushes and reserves in the background, or null when there is nothing to do. */
    private final Thread background;
    private volatile boolean stopBackground;
    private final AtomicLong flushes = new AtomicLong();
    /** How often the background thread checks the path and the free space. */
    static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The audit file's file system, for free-space measurements. */
    private final FileStore store;
    /** Why the sink refuses writes for good (the file was deleted or replaced), or null. Sticky. */
    private volatile String refusal;
    /** The checkpoint file; written under writeLock. */
    private final AuditCheckpoints checkpoints;
    /** Complete lines in the file; guarded by writeLock. */
    private long lineCount;
    /** The line count of the last checkpoint written (-1: none yet by this sink); guarded by writeLock. */
    private long checkpointedLines;
    /** When the last checkpoint was written (System.nanoTime); guarded by writeLock. */
    private long checkpointedAt = System.nanoTime();
    private boolean checkpointWarned;

    /** Why the last append failed, or null when it succeeded. */
    private volatile String lastWriteError;

    /** The last free-space measurement and where the file ended then. */
    private record Space(long usable, long atEnd) {
    }

    private volatile Space space;

    private FileAuditSink(FileAuditSinkConfig config, RandomAccessFile writer, FileLock lock, SecretKey checkpointKey)
            throws IOException {
        this.config = config;
        this.writer = writer;
        this.lock = lock;
        this.fileKey = Files.readAttributes(config.path(), BasicFileAttributes.class).fileKey();
        this.store = Files.getFileStore(config.path());
        recover();
        this.checkpoints = AuditCheckpoints.open(config.path(), checkpointKey);
        this.checkpointedLines = -1; // the first batch (or close) writes one, even for a reopened file
        this.reader = new RandomAccessFile(config.path().toFile(), "r");
        this.appended = end;
        this.space = new Space(store.getUsableSpace(), end);
        this.preallocator = Preallocator.open(config.path()).orElse(null);
        reserveAhead();
        this.backgroundFlush = !config.fsync() && !config.flushInterval().isZero();
        this.background = Thread.ofPlatform().daemon().name("audit-file-flusher").start(this::backgroundLoop);
    }

    /** Tops up the blocks reserved past the end when less than half of {@link #RESERVE_AHEAD} is left. */
    private void reserveAhead() {
        if (preallocator == null) {
            return;
        }
        long at = appended;
        if (reservedTo - at >= RESERVE_AHEAD / 2) {
            return;
        }
        long from = Math.max(reservedTo, at);
        if (preallocator.reserve(from, RESERVE_AHEAD)) {
            reservedTo = from + RESERVE_AHEAD;
        }
    }

    /**
     * The background loop: every tick, top up the reservation and, if the file grew and flushing is on,
     * one {@code fdatasync}. It is never interrupted (an interrupt during a channel operation would close
     * the channel); {@link #close} unparks it.
     */
    private void backgroundLoop() {
        long interval = backgroundFlush ? Math.min(config.flushInterval().toNanos(), CHECK_INTERVAL_NANOS)
                : CHECK_INTERVAL_NANOS;
        long flushedTo = appended;
        long checkedAt = System.nanoTime();
        boolean warned = false;
        while (!stopBackground && !closed) {
            LockSupport.parkNanos(this, interval);
            if (stopBackground || closed) {
                continue;
            }
            if (System.nanoTime() - checkedAt >= CHECK_INTERVAL_NANOS) {
                checkNow();
                checkedAt = System.nanoTime();
            }
            reserveAhead();
            long target = appended;
            // the loop ticks at most a second apart for the checks; a longer flush interval skips ticks
            boolean due = interval >= config.flushInterval().toNanos()
                    || System.nanoTime() - lastFlushAt >= config.flushInterval().toNanos();
            if (!backgroundFlush || target == flushedTo || !due) {
                continue;
            }
            lastFlushAt = System.nanoTime();
            try {
                writer.getChannel().force(false);
                flushedTo = target;
                flushes.incrementAndGet();
                warned = false;
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!warned) {
                    LOG.log(System.Logger.Level.WARNING, "audit file {0}: background flush failed: {1}",
                            config.path(), e.toString());
                    warned = true;
                }
            }
        }
    }

    /** When the background thread last forced the file (its own field). */
    private long lastFlushAt = System.nanoTime();

    /**
     * Checks that the configured path still names the open file (refusing writes for good when not) and
     * measures the free space. Runs on the background thread once a second; tests call it directly.
     */
    void checkNow() {
        if (closed || refusal != null) {
            return;
        }
        Path path = config.path();
        String change = null;
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (!Objects.equals(current, fileKey)) {
                change = "replaced";
            }
        } catch (NoSuchFileException e) {
            change = "deleted";
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "audit file {0}: cannot read its attributes: {1}", path, e.toString());
        }
        if (change != null) {
            refusal = "the audit file was " + change + " while the vault had it open; restart the vault to open "
                    + "the file at the configured path";
            LOG.log(System.Logger.Level.ERROR, "audit file {0} was {1} while open: the sink refuses every write "
                    + "from now on (fail closed); restart the vault to open the file at that path. Events up to "
                    + "now are in the old file.", path, change);
            return;
        }
        try {
            space = new Space(store.getUsableSpace(), appended);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "audit file {0}: cannot measure free space: {1}", path, e.toString());
        }
    }

    /** The usable space estimated now: the last measurement minus what was appended since. */
    private long estimatedFree(long more) {
        Space s = space;
        return s.usable() - Math.max(0, appended - s.atEnd()) - more;
    }

    /** How many background flushes have completed (for tests and diagnostics). */
    long backgroundFlushes() {
        return flushes.get();
    }

    /**
     * Opens (creating if needed) the audit file, recovers a torn tail and builds the index.
     *
     * @throws VaultException {@code AUDIT_UNAVAILABLE} when the file cannot be created, read or locked, or
     *                        its chain is broken and {@code verifyOnOpen} is set
     */
    public static FileAuditSink open(FileAuditSinkConfig config) {
        return open(config, null);
    }

    /**
     * Opens the audit file like {@link #open(FileAuditSinkConfig)}, signing its checkpoints with
     * {@code checkpointKey} (see {@link AuditCheckpoints}); null writes unsigned checkpoints.
     */
    public static FileAuditSink open(FileAuditSinkConfig config, SecretKey checkpointKey) {
        requireNonNull(config, "config is null");
        Path path = config.path();
        RandomAccessFile raf = null;
        try {
            createIfMissing(path);
            if (!Files.isRegularFile(path)) {
                // e.g. /dev/full or /dev/zero: reading it to rebuild the index would never end
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit path " + path + " is not a regular "
                        + "file (a device, directory, pipe or socket); name a file such as audit/audit.jsonl");
            }
            raf = new RandomAccessFile(path.toFile(), "rw");
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
            return new FileAuditSink(config, raf, lock, checkpointKey);
        } catch (IOException e) {
            closeQuietly(raf);
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + path + " cannot be opened: "
                    + e.getClass().getSimpleName(), e);
        } catch (RuntimeException e) {
            closeQuietly(raf);
            throw e;
        }
    }

    private static void createIfMissing(Path path) throws IOException {
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

    private static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }

    /** Makes a newly created file's directory entry durable (Linux; a no-op where unsupported). */
    private static void syncDirectory(Path dir) {
        try (var channel = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot sync directory {0}: {1}", dir, e.toString());
        }
    }

    /** Reads the whole file: index, chain head, verification, torn-tail repair. Runs before publication. */
    private void recover() throws IOException {
        Path path = config.path();
        String[] expected = {AuditHashChain.GENESIS};
        long[] broken = {-1};
        long[] unreadable = {0};
        AuditLineScanner.Result result;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            result = AuditLineScanner.scan(in, (lineNumber, offset, buf, start, length) -> {
                try {
                    AuditLineCodec.Decoded decoded = codec.decode(buf, start, length);
                    if (!decoded.prev().equals(expected[0]) && broken[0] < 0) {
                        broken[0] = lineNumber;
                    }
                    index.add(offset, length, decoded.event());
                } catch (AuditLineCodec.MalformedLineException e) {
                    if (broken[0] < 0) {
                        broken[0] = lineNumber;
                    }
                    unreadable[0]++;
                }
                expected[0] = AuditHashChain.hash(sha256, buf, start, length);
                return !config.verifyOnOpen() || broken[0] < 0;
            });
        }
        if (broken[0] > 0) {
            if (config.verifyOnOpen()) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + path
                        + " fails hash-chain verification at line " + broken[0] + "; keep it as evidence, move it"
                        + " aside to start a new chain, or set 'verify-on-open' to false to continue it");
            }
            LOG.log(System.Logger.Level.WARNING, "audit file {0}: hash chain broken at line {1}, {2} unreadable"
                    + " line(s) not queryable; continuing because verify-on-open is false", path, broken[0], unreadable[0]);
        }
        if (result.hasTornTail()) {
            quarantineTornTail(result.completeEnd(), result.totalBytes());
        }
        end = result.completeEnd();
        lineCount = result.lines();
        System.arraycopy(AuditHashChain.unhex(expected[0]), 0, headHash, 0, headHash.length);
    }

    private void quarantineTornTail(long from, long to) throws IOException {
        Path path = config.path();
        byte[] torn = new byte[Math.toIntExact(to - from)];
        writer.seek(from);
        writer.readFully(torn);
        Path side = path.resolveSibling(path.getFileName() + ".torn-" + System.currentTimeMillis());
        if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(side, ownerOnly());
        }
        Files.write(side, torn, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        writer.setLength(from);
        writer.getFD().sync();
        LOG.log(System.Logger.Level.WARNING, "audit file {0} ended in an incomplete line ({1} bytes) from an"
                + " interrupted write; moved it to {2}", path, torn.length, side);
    }

    /**
     * Checks that the sink can record events: it is open, the file at the configured path is still the
     * file it holds (not moved or replaced), and the file system accepts a sync.
     */
    @Override
    public void probe() {
        writeLock.lock();
        try {
            ensureWritable();
            Object current = Files.readAttributes(config.path(), BasicFileAttributes.class).fileKey();
            if (!Objects.equals(current, fileKey)) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                        + " was moved or replaced while open");
            }
            space = new Space(store.getUsableSpace(), appended);
            checkReserve(0);
            writer.getFD().sync();
        } catch (IOException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                    + " is not usable: " + e.getClass().getSimpleName(), e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void write(List<AuditEvent> events) {
        requireNonNull(events, "events is null");
        writeLock.lock();
        try {
            ensureWritable();
            if (events.isEmpty()) {
                return;
            }
            buffer.reset();
            int n = events.size();
            if (lineStarts.length < n + 1) {
                lineStarts = new int[Math.max(n + 1, lineStarts.length * 2)];
            }
            int[] starts = lineStarts;
            // chain holds the hash the next line's prev names; it reaches headHash only once written.
            System.arraycopy(headHash, 0, chain, 0, chain.length);
            for (int i = 0; i < n; i++) {
                AuditEvent e = requireNonNull(events.get(i), "event is null");
                int start = buffer.size();
                starts[i] = start;
                codec.encode(e, chain, buffer);
                AuditHashChain.hash(sha256, buffer.array(), start, buffer.size() - start, chain);
                buffer.put((byte) '\n');
            }
            starts[n] = buffer.size();
            checkReserve(buffer.size());
            append();
            long base = end;
            end += buffer.size();
            appended = end;
            System.arraycopy(chain, 0, headHash, 0, headHash.length);
            lineCount += n;
            if (checkpointedLines < 0 || System.nanoTime() - checkpointedAt >= config.checkpointInterval().toNanos()) {
                checkpoint();
            }
            indexLock.writeLock().lock();
            try {
                for (int i = 0; i < n; i++) {
                    // the line without its newline
                    index.add(base + starts[i], starts[i + 1] - starts[i] - 1, events.get(i));
                }
            } finally {
                indexLock.writeLock().unlock();
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Appends a checkpoint for the lines written so far (under writeLock). A failure is logged, not thrown:
     * the events are recorded, and the next checkpoint covers them.
     */
    private void checkpoint() {
        checkpointedAt = System.nanoTime();
        try {
            checkpoints.write(lineCount, AuditHashChain.hex(headHash), java.time.Instant.now());
            checkpointedLines = lineCount;
            checkpointWarned = false;
        } catch (IOException e) {
            if (!checkpointWarned) {
                LOG.log(System.Logger.Level.WARNING, "audit file {0}: writing a checkpoint to {1} failed: {2}",
                        config.path(), checkpoints.path(), e.toString());
                checkpointWarned = true;
            }
        }
    }

    /** Appends the buffer at {@link #end}; on failure cuts the file back so no partial line remains. */
    private void append() {
        try {
            if (writerPosition != end) {
                writer.seek(end);
            }
            writerPosition = -1; // unknown until the write returns
            writer.write(buffer.array(), 0, buffer.size());
            writerPosition = end + buffer.size();
            if (config.fsync()) {
                writer.getFD().sync();
            }
            if (lastWriteError != null) {
                lastWriteError = null;
            }
        } catch (IOException e) {
            writerPosition = -1;
            lastWriteError = "the last write to the audit file failed (" + e.getClass().getSimpleName() + ")";
            try {
                writer.setLength(end);
            } catch (IOException cut) {
                failed = true;
                e.addSuppressed(cut);
            }
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                    + " could not be written: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Refuses a write of {@code bytes} that would leave less than the reserve free (fail closed). */
    private void checkReserve(long bytes) {
        long min = config.minFreeBytes();
        if (min > 0 && estimatedFree(bytes) < min) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path() + ": the file system "
                    + "has about " + mib(Math.max(0, estimatedFree(0))) + " MiB free and the sink keeps "
                    + mib(min) + " MiB in reserve ('" + FileAuditSinkFactory.MIN_FREE_SPACE + "'); free space or "
                    + "move the audit file");
        }
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }

    /**
     * The sink's state, without taking the write lock: unavailable when closed, stopped after a failed
     * write it could not undo, refusing because the file was deleted or replaced, when the last write
     * failed, or when free space is below the reserve; degraded below twice the reserve.
     */
    @Override
    public AuditSinkHealth health() {
        if (closed) {
            return AuditSinkHealth.unavailable("the audit file sink is closed");
        }
        if (failed) {
            return AuditSinkHealth.unavailable("a failed write to the audit file could not be undone; restart the "
                    + "vault");
        }
        String refused = refusal;
        if (refused != null) {
            return AuditSinkHealth.unavailable(refused);
        }
        String writeError = lastWriteError;
        if (writeError != null) {
            return AuditSinkHealth.unavailable(writeError);
        }
        long min = config.minFreeBytes();
        long free = estimatedFree(0);
        if (min > 0 && free < min) {
            return AuditSinkHealth.unavailable("the audit file system has " + mib(Math.max(0, free)) + " MiB free, "
                    + "below the reserve of " + mib(min) + " MiB: audit writes are refused");
        }
        if (min > 0 && free < 2 * min) {
            return AuditSinkHealth.degraded("the audit file system has " + mib(free) + " MiB free; audit writes "
                    + "stop below " + mib(min) + " MiB");
        }
        return AuditSinkHealth.ok();
    }

    private void ensureWritable() {
        String refused = refusal;
        if (refused != null) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path() + ": " + refused);
        }
        if (closed) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink '" + FileAuditSinkFactory.NAME
                    + "' for " + config.path() + " is closed");
        }
        if (failed) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink '" + FileAuditSinkFactory.NAME
                    + "' for " + config.path() + " stopped after a failed write it could not undo; restart to recover");
        }
    }

    /** Every filter, secret key, actor and outcome included, is applied by the index. */
    @Override
    public java.util.Set<AuditQuery.Filter> supportedFilters() {
        return AuditQuery.Filter.ALL;
    }

    @Override
    public Page<AuditEvent> query(AuditQuery query) {
        requireNonNull(query, "query is null");
        if (closed) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink '" + FileAuditSinkFactory.NAME
                    + "' for " + config.path() + " is closed");
        }
        int limit = query.page().limit();
        AuditIndex.Matches matches;
        indexLock.readLock().lock();
        try {
            int start = index.size() - 1;
            if (query.page().cursor().isPresent()) {
                int ordinal = index.ordinalAt(decodeCursor(query.page().cursor().get()));
                if (ordinal < 0) {
                    throw badCursor();
                }
                start = ordinal - 1;
            }
            matches = index.find(query, start, limit);
        } finally {
            indexLock.readLock().unlock();
        }
        List<AuditEvent> items = read(matches, query);
        Optional<String> next = matches.more()
                ? Optional.of(encodeCursor(matches.offsets()[matches.count() - 1]))
                : Optional.empty();
        return new Page<>(items, next);
    }

    /** Reads the matched lines; consecutive ordinals are adjacent in the file and read in one go. */
    private List<AuditEvent> read(AuditIndex.Matches m, AuditQuery query) {
        List<AuditEvent> out = new ArrayList<>(m.count());
        readLock.lock();
        try {
            if (closed) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink '" + FileAuditSinkFactory.NAME
                        + "' for " + config.path() + " is closed");
            }
            int k = 0;
            while (k < m.count()) {
                int runEnd = k;
                while (runEnd + 1 < m.count() && m.ordinals()[runEnd + 1] == m.ordinals()[runEnd] - 1) {
                    runEnd++;
                }
                // Newest first: the run's last match is the lowest offset.
                long from = m.offsets()[runEnd];
                long to = m.offsets()[k] + m.lengths()[k];
                byte[] span = new byte[Math.toIntExact(to - from)];
                reader.seek(from);
                reader.readFully(span);
                for (int j = k; j <= runEnd; j++) {
                    int rel = (int) (m.offsets()[j] - from);
                    AuditEvent e = decodeStored(span, rel, m.lengths()[j], m.offsets()[j]);
                    if (!query.matches(e)) {
                        // Defence in depth: never hand out another organization's event, even if the
                        // file was changed underneath the index.
                        throw new VaultException(ErrorCode.INTEGRITY_ERROR, "audit file " + config.path()
                                + " changed on disk at byte " + m.offsets()[j]);
                    }
                    out.add(e);
                }
                k = runEnd + 1;
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                    + " could not be read: " + e.getClass().getSimpleName(), e);
        } finally {
            readLock.unlock();
        }
        return out;
    }

    private AuditEvent decodeStored(byte[] buf, int start, int length, long offset) {
        try {
            return codec.decode(buf, start, length).event();
        } catch (AuditLineCodec.MalformedLineException e) {
            // The line parsed when it was indexed: the file changed underneath us.
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "audit file " + config.path()
                    + " changed on disk at byte " + offset + " (" + e.getMessage() + ")");
        }
    }

    private static String encodeCursor(long offset) {
        return CURSOR_ENCODER.encodeToString((CURSOR_PREFIX + offset).getBytes(StandardCharsets.US_ASCII));
    }

    private static long decodeCursor(String cursor) {
        try {
            String text = new String(CURSOR_DECODER.decode(cursor), StandardCharsets.US_ASCII);
            if (!text.startsWith(CURSOR_PREFIX)) {
                throw badCursor();
            }
            return Long.parseLong(text.substring(CURSOR_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw badCursor();
        }
    }

    private static VaultException badCursor() {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "cursor is not valid for this audit log");
    }

    /**
     * Verifies an audit file's hash chain; the same as {@link AuditHashChain#verify(Path)}. Safe to run on
     * a file a sink is writing (lines are appended whole), though a line being appended may show as an
     * incomplete last line.
     *
     * @return the 1-based number of the first broken line, or {@code -1} when the whole file verifies
     * @throws IOException when the file cannot be read
     */
    public static long verify(Path file) throws IOException {
        return AuditHashChain.verify(file);
    }

    /** The hash of the last line ({@link AuditHashChain#GENESIS} for an empty file), to anchor externally. */
    public String headHash() {
        writeLock.lock();
        try {
            return AuditHashChain.hex(headHash);
        } finally {
            writeLock.unlock();
        }
    }

    /** The number of indexed events (lines that could not be read at open, with verify-on-open off, are not counted). */
    public int size() {
        indexLock.readLock().lock();
        try {
            return index.size();
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** The sink's settings. */
    public FileAuditSinkConfig config() {
        return config;
    }

    /** Syncs the file to the device and releases it (and its lock). Idempotent; waits for a write in progress. */
    @Override
    public void close() {
        if (background != null) {
            stopBackground = true;
            LockSupport.unpark(background);
            try {
                background.join(Duration.ofSeconds(10)); // a pass in progress ends with its fdatasync
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (!failed && checkpointedLines != lineCount) {
                checkpoint();
            }
            try {
                checkpoints.sync();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "audit file {0}: checkpoint sync failed: {1}", config.path(), e.toString());
            }
            closeQuietly(checkpoints);
            try {
                writer.getFD().sync();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "audit file {0}: final sync failed: {1}", config.path(), e.toString());
            }
            if (preallocator != null) {
                if (!failed) {
                    try {
                        writer.setLength(end); // gives the blocks reserved past the end back
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.DEBUG, "audit file {0}: trimming failed: {1}", config.path(),
                                e.toString());
                    }
                }
                preallocator.close();
            }
            closeQuietly(writer);
        } finally {
            writeLock.unlock();
        }
        readLock.lock();
        try {
            closeQuietly(reader);
        } finally {
            readLock.unlock();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed: {0}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "FileAuditSink[" + config.path() + ", fsync=" + config.fsync() + ", closed=" + closed + "]";
    }
}
