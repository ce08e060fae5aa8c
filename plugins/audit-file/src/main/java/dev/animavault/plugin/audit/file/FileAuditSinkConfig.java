package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The validated settings of a file audit sink. Holds nothing sensitive, so {@link #toString()} prints
 * everything.
 *
 * @param path         the absolute path of the audit file
 * @param fsync        whether every batch is forced to the storage device before {@code write} returns
 * @param verifyOnOpen  whether opening fails when the file's hash chain is broken
 * @param flushInterval without {@code fsync}: how often a background thread forces what was appended
 *                      since its last pass to the device (zero: never, the operating system decides)
 * @param minFreeBytes  the free space the sink leaves on the audit file's file system: writes that would
 *                      leave less are refused (fail closed), and health warns below twice this (0: no
 *                      reserve)
 * @param checkpointInterval how often, while events are written, a signed checkpoint (line count and head
 *                      hash) is appended to {@code <path>.checkpoints}; zero: after every batch. One is
 *                      always written at close.
 * @param rolloverBytes the size past which the open segment is sealed and a new one started before the next
 *                      batch (0: never by size)
 * @param rolloverDaily whether a batch whose first event falls on another UTC day than the open segment's
 *                      first event starts a new segment
 * @param loadedSealedIndexes how many sealed segments keep their index (and its dictionaries, on the heap)
 *                      loaded between queries; the least recently used beyond it are dropped and loaded again
 *                      on their next query (at least 1)
 */
public record FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval,
                                  long minFreeBytes, Duration checkpointInterval, long rolloverBytes,
                                  boolean rolloverDaily, int loadedSealedIndexes) {
    /** The default {@link #loadedSealedIndexes}. */
    public static final int DEFAULT_LOADED_SEALED_INDEXES = SealedIndexes.DEFAULT_CAPACITY;
    /** The default {@link #rolloverBytes}: 64 MiB (about 200,000 events; bounds the open segment's in-memory index). */
    public static final long DEFAULT_ROLLOVER_BYTES = 64L << 20;
    /** The default {@link #checkpointInterval}. */
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(1);
    /** The default {@link #flushInterval}. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    /** The default {@link #minFreeBytes}: 128 MiB. */
    public static final long DEFAULT_MIN_FREE_BYTES = 128L << 20;

    public FileAuditSinkConfig {
        requireNonNull(path, "path is null");
        requireNonNull(flushInterval, "flushInterval is null");
        requireNonNull(checkpointInterval, "checkpointInterval is null");
        if (checkpointInterval.isNegative()) {
            throw new IllegalArgumentException("checkpointInterval must not be negative");
        }
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("path must be absolute");
        }
        if (flushInterval.isNegative()) {
            throw new IllegalArgumentException("flushInterval must not be negative");
        }
        if (minFreeBytes < 0) {
            throw new IllegalArgumentException("minFreeBytes must not be negative");
        }
        if (rolloverBytes < 0) {
            throw new IllegalArgumentException("rolloverBytes must not be negative");
        }
        if (loadedSealedIndexes < 1) {
            throw new IllegalArgumentException("loadedSealedIndexes must be at least 1");
        }
        path = path.normalize();
    }

    /** A configuration with the default number of loaded sealed indexes. */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval,
                               long minFreeBytes, Duration checkpointInterval, long rolloverBytes,
                               boolean rolloverDaily) {
        this(path, fsync, verifyOnOpen, flushInterval, minFreeBytes, checkpointInterval, rolloverBytes,
                rolloverDaily, DEFAULT_LOADED_SEALED_INDEXES);
    }

    /** A configuration with the default rollover (by size, not daily). */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval,
                               long minFreeBytes, Duration checkpointInterval) {
        this(path, fsync, verifyOnOpen, flushInterval, minFreeBytes, checkpointInterval, DEFAULT_ROLLOVER_BYTES,
                false);
    }

    /** A configuration with the default checkpoint interval. */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval,
                               long minFreeBytes) {
        this(path, fsync, verifyOnOpen, flushInterval, minFreeBytes, DEFAULT_CHECKPOINT_INTERVAL);
    }

    /** A configuration with the default free-space reserve. */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval) {
        this(path, fsync, verifyOnOpen, flushInterval, DEFAULT_MIN_FREE_BYTES);
    }

    /** A configuration with the default flush interval and free-space reserve. */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen) {
        this(path, fsync, verifyOnOpen, DEFAULT_FLUSH_INTERVAL);
    }
}
