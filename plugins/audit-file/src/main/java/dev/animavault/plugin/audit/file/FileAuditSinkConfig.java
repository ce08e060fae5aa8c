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
 */
public record FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen, Duration flushInterval) {
    /** The default {@link #flushInterval}. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);

    public FileAuditSinkConfig {
        requireNonNull(path, "path is null");
        requireNonNull(flushInterval, "flushInterval is null");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("path must be absolute");
        }
        if (flushInterval.isNegative()) {
            throw new IllegalArgumentException("flushInterval must not be negative");
        }
        path = path.normalize();
    }

    /** A configuration with the default flush interval. */
    public FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen) {
        this(path, fsync, verifyOnOpen, DEFAULT_FLUSH_INTERVAL);
    }
}
