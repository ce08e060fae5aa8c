package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.AuditSinkHealth;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import javax.crypto.SecretKey;

/**
 * An audit sink that appends one JSON object per line to a file, chains the lines with SHA-256 (see
 * {@link AuditHashChain}) across segments, rolls over by size or by day, signs checkpoints, and answers
 * queries from per-segment indexes. The parts: {@link SegmentWriter} (the open file), {@link TrailLoader}
 * (opening and recovery), {@link TrailSegments} (the open and sealed segments, what queries read),
 * {@link AuditIndex}/{@link AuditIndexFile} (the index, persisted per segment), {@link AuditQueryEngine}
 * (queries), {@link AuditCheckpoints} (signed checkpoints), {@link OpenSegmentIndexer} (indexing in the
 * background, after the open, what the open only hashed).
 *
 * <p><b>Writing.</b> A batch is encoded into one buffer and appended with one {@code write} system call
 * (then one fsync when {@code fsync} is on). If the append fails, the file is cut back to where the batch
 * began; if even that fails the sink refuses further writes (fail closed).
 *
 * <p><b>Rollover.</b> Before a batch that would take the open segment past {@code rollover-size}, or whose
 * first event falls on another UTC day than the segment's first event ({@code rollover-daily}), the segment
 * is sealed: a {@code rollover} checkpoint, the file synced, its checkpoints and then the file renamed to
 * {@code <stem>.<NNNNNN><ext>}, and a new file opened at the configured path. The chain goes on: the new
 * segment's first line names the sealed segment's last line. A failure in the middle stops writes (fail
 * closed); the next open finishes or undoes what a crash interrupted. The sealed segment's index is written to
 * {@code <sealed>.idx} after the write lock is released ({@link SealedIndexWrites}); a crash before that leaves
 * the next open to rebuild it from the segment.
 *
 * <p><b>Background work.</b> A daemon thread keeps disk blocks reserved ahead of the end (see
 * {@link Preallocator}), forces appended lines to the device every {@code flushInterval} without
 * {@code fsync}, and once a second checks that the configured path still names the open file (deleted,
 * moved or replaced: every later write is refused until restart) and measures free space (a write that
 * would leave less than {@code minFreeBytes} is refused).
 *
 * <p><b>Threads.</b> {@link #write} is serialized; {@link #query} and {@link #probe} may run on any thread
 * concurrently with it; {@link #close} may come from any thread, waits for a write in progress, and is
 * idempotent.
 */
public final class FileAuditSink implements QueryableAuditSink {
    private static final System.Logger LOG = System.getLogger(FileAuditSink.class.getName());

    private final FileAuditSinkConfig config;
    private final SegmentLayout layout;
    private final SecretKey checkpointKey;
    private final AuditLineEncoder encoder = new AuditLineEncoder();
    private final MessageDigest sha256 = AuditHashChain.sha256();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AuditQueryEngine queries;
    private final LineBuffer buffer = new LineBuffer(64 * 1024);
    private final FileStore store;

    // Guarded by writeLock (volatile where the background thread or queries read them). The parts without
    // "private" are read by the tests' FileAuditSinkTestAccess (the test-only hooks) and nothing else.
    private volatile SegmentWriter writer;
    final TrailSegments segments;
    private AuditCheckpoints checkpoints;
    private long end;
    private long lineCount;
    private final byte[] headHash = new byte[AuditLineCodec.HASH_BYTES];
    private final byte[] chain = new byte[AuditLineCodec.HASH_BYTES];
    private int[] lineStarts = new int[64];
    /** UTC epoch day of the open segment's first event, or MIN_VALUE while it is empty. */
    private long segmentDay = Long.MIN_VALUE;
    private long checkpointedLines = -1;
    private long checkpointedAt = System.nanoTime();
    private boolean checkpointWarned;
    /** Whether the background flush was asked for once the open segment neared its rollover size. */
    private boolean preFlushed;
    private final SinkState state;
    final SegmentWatch watch;
    /** Maps a sealed segment's index again after {@link SealedIndexes} dropped it. */
    private final TrailLoader trail;
    /** Indexes in the background what the open only hashed; queries and rollovers wait for it. */
    final OpenSegmentIndexer indexer;
    /** Writes a sealed segment's index file after the rollover released the write lock. */
    final SealedIndexWrites indexWrites;

    /**
     * Opens the trail; {@code indexGate} (tests only, else null) holds the background parse of the open
     * segment until it is counted down, {@code preloadDelay} is when the background load of sealed indexes
     * starts (the tests' {@code FileAuditSinkTestAccess}).
     */
    FileAuditSink(FileAuditSinkConfig config, SecretKey checkpointKey, java.util.concurrent.CountDownLatch indexGate,
                  java.time.Duration preloadDelay) throws IOException {
        this.config = config;
        this.layout = new SegmentLayout(config.path());
        this.checkpointKey = checkpointKey;
        this.queries = new AuditQueryEngine(config.path().toString());
        TrailLoader loader = new TrailLoader(config);
        this.trail = loader;
        SealedIndexes sealedIndexes = new SealedIndexes(config.loadedSealedIndexes());
        SegmentWriter.createIfMissing(config.path()); // also the directory, before listing it
        loader.finishInterruptedRollover();
        loader.startDigest();
        TrailLoader.SealedTrail sealedTrail = loader.sealed(sealedIndexes);
        List<Segment> oldestFirst = sealedTrail.segments();
        long number = oldestFirst.isEmpty() ? 1 : oldestFirst.get(oldestFirst.size() - 1).number() + 1;
        SegmentWriter w = SegmentWriter.open(config.path());
        TrailLoader.Loaded loaded;
        try {
            loaded = loader.active(number, w, sealedTrail.head());
            this.writer = w;
            // while older lines are parsed (into the loaded index), the open segment's index takes the new ones
            AuditIndex activeIndex = loaded.pending() ? new AuditIndex() : loaded.activeIndex();
            Segment active = new Segment(number, config.path(), activeIndex);
            java.util.OptionalLong first = loaded.activeIndex() == null ? java.util.OptionalLong.empty()
                    : loaded.activeIndex().firstSecond();
            if (first.isEmpty() && loaded.pending() && config.rolloverDaily()) { // segmentDay: rolloverDaily only
                first = loader.firstSecond(config.path()); // the first line is still to be parsed
            }
            if (first.isPresent()) {
                segmentDay = Math.floorDiv(first.getAsLong(), 86_400L);
            }
            active.openChannel();
            this.segments = new TrailSegments(active, oldestFirst.reversed(), sealedIndexes);
            this.end = loaded.end();
            this.lineCount = loaded.lines();
            System.arraycopy(loaded.head(), 0, headHash, 0, headHash.length);
            this.checkpoints = AuditCheckpoints.open(config.path(), checkpointKey);
            this.store = Files.getFileStore(config.path());
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        this.indexWrites = new SealedIndexWrites(segments, loader);
        this.state = new SinkState(config, store, end);
        writer.reserveAhead(end);
        this.watch = new SegmentWatch(config, state, () -> writer, writeLock);
        this.indexer = OpenSegmentIndexer.start(config.path(), loader, state, writeLock, segments.indexLock(),
                segments::active, segments::newestSealed, loaded.pending() ? loaded.activeIndex() : null,
                loaded.indexFile(), loaded.indexFrom(), loaded.indexTo(), indexGate, preloadDelay);
    }

    /**
     * Opens (creating if needed) the audit trail, recovers a torn tail or an interrupted rollover, and
     * loads the indexes.
     *
     * @throws VaultException {@code AUDIT_UNAVAILABLE} when the file cannot be created, read or locked, or
     *                        its chain is broken and {@code verifyOnOpen} is set
     */
    public static FileAuditSink open(FileAuditSinkConfig config) {
        return open(config, null);
    }

    /**
     * Opens the audit trail like {@link #open(FileAuditSinkConfig)}, signing its checkpoints with
     * {@code checkpointKey} (see {@link AuditCheckpoints}); null writes unsigned checkpoints.
     */
    public static FileAuditSink open(FileAuditSinkConfig config, SecretKey checkpointKey) {
        requireNonNull(config, "config is null");
        try {
            return new FileAuditSink(config, checkpointKey, null, OpenSegmentIndexer.PRELOAD_DELAY);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path() + " cannot be opened: "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Checks that the sink can record events: it is open, the file at the configured path is still the
     * file it holds (not moved or replaced), and the file system accepts a sync.
     */
    @Override
    public void probe() {
        writeLock.lock();
        try {
            state.ensureWritable();
            Object current = Files.readAttributes(config.path(), BasicFileAttributes.class).fileKey();
            if (!Objects.equals(current, writer.fileKey())) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                        + " was moved or replaced while open");
            }
            state.measure();
            state.checkReserve(0);
            writer.sync();
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
            state.ensureWritable();
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
                encoder.encode(e, chain, buffer);
                AuditHashChain.hash(sha256, buffer.array(), start, buffer.size() - start, chain);
                buffer.put((byte) '\n');
            }
            starts[n] = buffer.size();
            state.checkReserve(buffer.size());
            long day = Math.floorDiv(events.get(0).timestamp().getEpochSecond(), 86_400L);
            if (lineCount > 0 && (config.rolloverBytes() > 0 && end + buffer.size() > config.rolloverBytes()
                    || config.rolloverDaily() && day != segmentDay)) {
                rollover();
            }
            append();
            long base = end;
            end += buffer.size();
            state.appended = end;
            System.arraycopy(chain, 0, headHash, 0, headHash.length);
            if (lineCount == 0) {
                segmentDay = day;
            }
            lineCount += n;
            if (!preFlushed && config.rolloverBytes() > 0 && end >= config.rolloverBytes() - config.rolloverBytes() / 16) {
                preFlushed = true; // the rollover's fsync then writes the last sixteenth, not up to a flush interval's
                watch.flushSoon();
            }
            if (checkpointedLines < 0 || System.nanoTime() - checkpointedAt >= config.checkpointInterval().toNanos()) {
                checkpoint(AuditCheckpoints.Kind.BATCH);
            }
            segments.index(events, n, base, starts);
        } finally {
            writeLock.unlock();
            indexWrites.startPrepared(); // a rollover's sealed index file, written off the lock
        }
    }

    /**
     * Seals the open segment and opens the next one (under writeLock). Any failure stops writes (fail
     * closed): opening the trail again finishes an interrupted rename.
     */
    private void rollover() {
        long startedAt = System.nanoTime();
        Segment old = segments.active();
        Path sealedFile = layout.sealed(old.number());
        try {
            if (!indexer.join()) { // the sealed index must cover every line
                throw new IOException("closed while the open segment was being indexed");
            }
            indexWrites.finish(); // the previous rollover's index file, rarely still being written
            checkpoint(AuditCheckpoints.Kind.ROLLOVER);
            checkpoints.sync();
            checkpoints.close();
            writer.sync();
            writer.trim(end);
            Files.deleteIfExists(SegmentLayout.index(config.path()));
            Files.move(SegmentLayout.checkpoints(config.path()), SegmentLayout.checkpoints(sealedFile),
                    StandardCopyOption.ATOMIC_MOVE);
            Files.move(config.path(), sealedFile, StandardCopyOption.ATOMIC_MOVE);
            SegmentWriter.syncDirectory(sealedFile.getParent());
            SegmentWriter next = SegmentWriter.open(config.path());
            SegmentWriter previous = writer;
            Segment fresh = new Segment(old.number() + 1, config.path(), new AuditIndex());
            fresh.openChannel();
            AuditIndex grown = old.index();
            segments.rolledOver(fresh, sealedFile);
            // the sealed segment's index file is written after the write lock is released; queries use the grown
            // index meanwhile, and a crash before it is renamed in leaves the next open to rebuild it
            indexWrites.prepare(old, sealedFile, end, headHash, grown); // started once the write lock is released
            writer = next; // read by no one who holds only the index lock: the write lock orders it
            previous.close();
            checkpoints = AuditCheckpoints.open(config.path(), checkpointKey);
            end = 0;
            preFlushed = false;
            state.appended = 0;
            lineCount = 0;
            checkpointedLines = -1;
            state.measure();
            LOG.log(System.Logger.Level.INFO, "audit file {0}: rolled over to segment {1}; sealed {2} ({3} ms under "
                    + "the write lock; its index is written in the background)", config.path(), fresh.number(),
                    sealedFile.getFileName(), (System.nanoTime() - startedAt) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            state.failed = true;
            state.lastWriteError = "rolling the audit file over failed (" + e.getClass().getSimpleName() + ")";
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                    + " could not be rolled over: " + e.getClass().getSimpleName() + "; restart to recover", e);
        }
    }

    /** Appends a checkpoint (under writeLock). A failure is logged, not thrown: the next one covers the events. */
    private void checkpoint(AuditCheckpoints.Kind kind) {
        checkpointedAt = System.nanoTime();
        try {
            checkpoints.write(segments.active().number(), lineCount, AuditHashChain.hex(headHash), Instant.now(), kind);
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

    /** Appends the buffer at {@link #end}; on failure the file is cut back so no partial line remains. */
    private void append() {
        try {
            writer.append(buffer.array(), buffer.size(), end, config.fsync());
            if (state.lastWriteError != null) {
                state.lastWriteError = null;
            }
        } catch (IOException e) {
            state.lastWriteError = "the last write to the audit file failed (" + e.getClass().getSimpleName() + ")";
            if (e instanceof SegmentWriter.UncutAppendException) {
                state.failed = true;
            }
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path()
                    + " could not be written: " + e.getClass().getSimpleName(), e);
        }
    }

    /** The sink's state, without taking the write lock (see {@link SinkState#health()}). */
    @Override
    public AuditSinkHealth health() {
        return state.health();
    }

    /** Every filter, secret key, actor and outcome included, is applied by the index. */
    @Override
    public java.util.Set<AuditQuery.Filter> supportedFilters() {
        return AuditQuery.Filter.ALL;
    }

    @Override
    public Page<AuditEvent> query(AuditQuery query) {
        requireNonNull(query, "query is null");
        if (state.closed) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink '" + FileAuditSinkFactory.NAME
                    + "' for " + config.path() + " is closed");
        }
        indexer.await();
        return queries.query(query, segments.all(), segments.indexLock().readLock());
    }

    /**
     * Verifies one audit file's hash chain; the same as {@link AuditHashChain#verify(Path)}.
     *
     * @return the 1-based number of the first broken line, or {@code -1} when the whole file verifies
     * @throws IOException when the file cannot be read
     */
    public static long verify(Path file) throws IOException {
        return AuditHashChain.verify(file);
    }

    /** The hash of the last line ({@link AuditHashChain#GENESIS} for an empty trail), to anchor externally. */
    public String headHash() {
        writeLock.lock();
        try {
            return AuditHashChain.hex(headHash);
        } finally {
            writeLock.unlock();
        }
    }

    /** The number of indexed events in every segment (unreadable lines, with verify-on-open off, not counted). */
    public int size() {
        indexer.await();
        return Math.toIntExact(segments.size());
    }

    /** The sink's settings. */
    public FileAuditSinkConfig config() {
        return config;
    }

    /**
     * Writes the close checkpoint and the open segment's index (so the next open need not read it), syncs
     * and releases the files. Idempotent; waits for a write in progress.
     */
    @Override
    public void close() {
        watch.stop();
        indexer.cancel();
        writeLock.lock();
        try {
            if (state.closed) {
                return;
            }
            state.closed = true;
            if (!state.failed) {
                checkpoint(AuditCheckpoints.Kind.CLOSE);
            }
            try {
                checkpoints.sync();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "audit file {0}: checkpoint sync failed: {1}", config.path(), e.toString());
            }
            closeQuietly(checkpoints);
            try {
                writer.sync();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "audit file {0}: final sync failed: {1}", config.path(), e.toString());
            }
            if (!state.failed) {
                writer.trim(end); // gives the blocks reserved past the end back
                if (state.refusal == null && !indexer.pending()) { // else the next open parses again
                    try {
                        Segment active = segments.active();
                        AuditIndexFile.write(SegmentLayout.index(config.path()), active.number(), end, headHash,
                                SegmentFiles.digest(config.path(), end), active.index());
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.WARNING, "audit file {0}: writing its index failed (the next "
                                + "start reads the file instead): {1}", config.path(), e.toString());
                    }
                }
            }
            writer.close();
        } finally {
            writeLock.unlock();
        }
        indexWrites.finish(); // a sealed segment's index file still being written: finished before the channels close
        indexer.awaitEnd(java.time.Duration.ofSeconds(5));
        segments.close();
    }

    static void closeQuietly(AutoCloseable c) {
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
        return "FileAuditSink[" + config.path() + ", fsync=" + config.fsync() + ", closed=" + state.closed + "]";
    }
}
