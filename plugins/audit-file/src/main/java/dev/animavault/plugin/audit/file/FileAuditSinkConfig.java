package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * The validated settings of a file audit sink. Holds nothing sensitive, so {@link #toString()} prints
 * everything.
 *
 * @param path         the absolute path of the audit file
 * @param fsync        whether every batch is forced to the storage device before {@code write} returns
 * @param verifyOnOpen whether opening fails when the file's hash chain is broken
 */
public record FileAuditSinkConfig(Path path, boolean fsync, boolean verifyOnOpen) {
    public FileAuditSinkConfig {
        requireNonNull(path, "path is null");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("path must be absolute");
        }
        path = path.normalize();
    }
}
