package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditSinkHealth;
import java.io.IOException;
import java.nio.file.FileStore;

/**
 * The file sink's fail-closed state, readable without the write lock: closed, stopped after a failed write
 * it could not undo, refusing because the file was deleted or replaced (sticky), the last write's error,
 * and the free-space estimate (last measurement minus what was appended since). {@link #health()} and
 * {@link #ensureWritable()} read it; the sink (under its write lock) and its background thread update it.
 */
final class SinkState {
    private final FileAuditSinkConfig config;
    private final FileStore store;
    volatile boolean closed;
    volatile boolean failed;
    /** Why writes are refused for good (the file was deleted or replaced), or null. */
    volatile String refusal;
    /** Why the last append failed, or null when it succeeded. */
    volatile String lastWriteError;
    /** Where the open segment ends after the last successful append. */
    volatile long appended;

    private record Space(long usable, long atEnd) {
    }

    private volatile Space space;

    SinkState(FileAuditSinkConfig config, FileStore store, long end) throws IOException {
        this.config = config;
        this.store = store;
        this.appended = end;
        this.space = new Space(store.getUsableSpace(), end);
    }

    /** Measures the usable space now. */
    void measure() throws IOException {
        space = new Space(store.getUsableSpace(), appended);
    }

    /** The usable space estimated now: the last measurement minus what was appended since, minus {@code more}. */
    long estimatedFree(long more) {
        Space s = space;
        return s.usable() - Math.max(0, appended - s.atEnd()) - more;
    }

    /** Refuses a write of {@code bytes} that would leave less than the reserve free (fail closed). */
    void checkReserve(long bytes) {
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

    void ensureWritable() {
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

    /**
     * Unavailable when closed, stopped, refusing, when the last write failed, or when free space is below
     * the reserve; degraded below twice the reserve.
     */
    AuditSinkHealth health() {
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
}
