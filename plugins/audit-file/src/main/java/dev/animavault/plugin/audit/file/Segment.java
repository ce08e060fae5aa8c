package dev.animavault.plugin.audit.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment of the trail as queries see it: its number, its index and a channel to read its lines.
 * The open segment's index grows in memory (guarded by the sink's index lock); at rollover the same
 * object is given the sealed, memory-mapped index and keeps its channel (the rename does not change the
 * open file), so a query that found lines before the rollover still reads them. Reads use positional
 * reads and need no lock.
 */
final class Segment implements AutoCloseable {
    /** Loads a sealed segment's index on first use. */
    @FunctionalInterface
    interface IndexLoader {
        AuditIndex load() throws IOException;
    }

    private final long number;
    private volatile Path file;
    private volatile AuditIndex index;
    /** A sealed segment's: loads its index again whenever it was dropped ({@link SealedIndexes}). */
    private volatile IndexLoader loader;
    private volatile SealedIndexes bound;
    /** A sealed segment's line count (its index file's header), or -1 for the open segment. */
    private volatile long lines = -1;
    /** The {@link SealedIndexes#tick()} of the last {@link #index()}. */
    private volatile long lastUse;
    /** A sealed segment whose index file is still being written ({@link #sealedInMemory}). */
    private volatile boolean inMemory;
    private FileChannel channel;
    private boolean closed;

    /** The open segment, with its growing in-memory index. */
    Segment(long number, Path file, AuditIndex index) {
        this.number = number;
        this.file = file;
        this.index = index;
    }

    /**
     * A sealed segment of {@code lines} lines whose index is loaded (mapped, or rebuilt from the segment when its
     * file no longer matches) by the first {@link #index()}, and again after {@code bound} dropped it: opening the
     * trail touches no index but the open segment's, and at most {@link SealedIndexes#capacity()} sealed indexes
     * stay loaded.
     */
    Segment(long number, Path file, long lines, IndexLoader loader, SealedIndexes bound) {
        this.number = number;
        this.file = file;
        this.lines = lines;
        this.loader = loader;
        this.bound = bound;
    }

    long number() {
        return number;
    }

    Path file() {
        return file;
    }

    /**
     * The segment's index, loaded on first use for a sealed segment (any thread; loading runs once).
     *
     * @throws dev.animavault.spi.VaultException {@code AUDIT_UNAVAILABLE} when the index can be neither read
     *                                           nor rebuilt
     */
    AuditIndex index() {
        SealedIndexes b = bound;
        if (b != null) {
            lastUse = b.tick();
        }
        AuditIndex i = index;
        if (i != null) {
            return i;
        }
        i = load();
        if (b != null) {
            b.loaded(this); // outside this segment's monitor: the bound may drop another segment's index
        }
        return i;
    }

    /** Whether the index is in memory (mapped) now. */
    boolean indexLoaded() {
        return index != null;
    }

    /** The number of indexed lines: a sealed segment's from its index file's header, without loading it. */
    int size() {
        long n = lines;
        return n >= 0 ? Math.toIntExact(n) : index().size();
    }

    long lastUse() {
        return lastUse;
    }

    /** Drops a sealed segment's loaded index (loaded again on next use); the open segment's is never dropped. */
    synchronized void dropIndex() {
        if (loader != null) {
            index = null;
        }
    }

    private synchronized AuditIndex load() {
        AuditIndex i = index;
        if (i == null) {
            try {
                i = loader.load();
                index = i;
            } catch (IOException e) {
                throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.AUDIT_UNAVAILABLE,
                        "the index of audit segment " + file.getFileName() + " cannot be loaded: "
                        + e.getClass().getSimpleName(), e);
            }
        }
        return i;
    }

    /**
     * At rollover: the segment now lives at its sealed name and keeps the index it grew in memory (no longer
     * changed), not dropped, until {@link #indexWritten} gives it the mapped index file. Queries read it under the
     * sink's index lock meanwhile ({@link #indexInMemory()}): the in-memory index's chunks are recycled when the
     * mapped one replaces it.
     */
    synchronized void sealedInMemory(Path sealedFile) {
        this.file = sealedFile;
        this.lines = index.size();
        this.inMemory = true;
    }

    /**
     * The sealed segment's index file is written: the mapped index replaces the in-memory one, and {@code bound}
     * may drop it like any sealed segment's ({@code reload} maps it again). Under the sink's index write lock.
     */
    void indexWritten(AuditIndex sealedIndex, IndexLoader reload, SealedIndexes bound) {
        synchronized (this) {
            this.loader = reload;
            this.index = sealedIndex;
            this.bound = bound;
            this.lastUse = bound.tick();
            this.inMemory = false; // after index: who reads false reads the mapped index
        }
        bound.loaded(this);
    }

    /**
     * Whether this is a sealed segment whose index is still the in-memory one (its index file being written): a
     * query reads its index under the sink's index lock, since that index is recycled once replaced.
     */
    boolean indexInMemory() {
        return inMemory;
    }

    /** The open segment's index rebuilt in the background replaces the partial one (under the index lock). */
    synchronized void replaceIndex(AuditIndex rebuilt) {
        this.index = rebuilt;
    }

    /** Reads {@code length} bytes at {@code offset}. */
    byte[] read(long offset, int length) throws IOException {
        FileChannel ch = channel();
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new IOException("audit segment " + file + " ends before byte " + (offset + length));
            }
        }
        return b.array();
    }

    private synchronized FileChannel channel() throws IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        return channel;
    }

    /** Opens the read channel now (the open segment: before a rename could move the file). */
    void openChannel() throws IOException {
        channel();
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (channel != null) {
            channel.close();
        }
    }
}
