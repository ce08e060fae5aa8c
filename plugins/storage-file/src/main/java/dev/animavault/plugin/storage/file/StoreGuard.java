package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * How the {@link FileStorageBackend} runs its file operations: refused once closed, an
 * {@link IOException} reported as {@code STORAGE_UNAVAILABLE} naming the store and the operation, and
 * writes serialised by one of {@value #STRIPES} striped locks per identity (the identity and its secrets)
 * or per record, while holding the store-wide write gate shared, which a snapshot takes exclusively
 * ({@link Snapshots}). Thread-safe.
 */
final class StoreGuard {
    static final int STRIPES = 1024;

    @FunctionalInterface
    interface IoFunction<A, R> {
        R apply(A a) throws IOException;
    }

    @FunctionalInterface
    interface IoSupplier<R> {
        R get() throws IOException;
    }

    private final Path root;
    private final ReentrantLock[] identityLocks = newLocks();
    private final ReentrantLock[] recordLocks = newLocks();
    /** Held shared by every write, exclusively by a snapshot ({@link Snapshots}): writers pause for it. */
    private final ReentrantReadWriteLock writeGate = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    StoreGuard(Path root) {
        this.root = root;
    }

    /** The exclusive side of the write gate, for {@link Snapshots}. */
    Lock snapshotLock() {
        return writeGate.writeLock();
    }

    /** Marks the store closed; true for the first call only. */
    boolean close() {
        return closed.compareAndSet(false, true);
    }

    /** Runs a write to an identity or its secrets under the identity's stripe. */
    <R> R withIdentityLock(String organizationId, String identityId, String what, IoSupplier<R> body) {
        return withLock(identityLocks[stripe(organizationId, identityId)], what, body);
    }

    /** Runs a write to a record under the record's stripe. */
    <R> R withRecordLock(String namespace, String key, String what, IoSupplier<R> body) {
        return withLock(recordLocks[stripe(namespace, key)], what, body);
    }

    private <R> R withLock(ReentrantLock l, String what, IoSupplier<R> body) {
        ensureOpen();
        writeGate.readLock().lock();
        try {
            l.lock();
            try {
                return io(body, what);
            } finally {
                l.unlock();
            }
        } finally {
            writeGate.readLock().unlock();
        }
    }

    /** Runs a file operation (no lock: reads), mapping I/O failures to {@code STORAGE_UNAVAILABLE}. */
    <R> R io(IoSupplier<R> body, String what) {
        ensureOpen();
        try {
            return body.get();
        } catch (IOException e) {
            throw unavailable(what, e);
        } catch (UncheckedIOException e) {
            throw unavailable(what, e.getCause());
        }
    }

    private VaultException unavailable(String what, IOException e) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "file store " + root + ": cannot " + what + ": "
                + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the file store " + root + " is closed");
        }
    }

    private static int stripe(String a, String b) {
        int h = a.hashCode() * 31 + b.hashCode();
        h ^= h >>> 16;
        return h & (STRIPES - 1);
    }

    private static ReentrantLock[] newLocks() {
        ReentrantLock[] locks = new ReentrantLock[STRIPES];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
        return locks;
    }
}
