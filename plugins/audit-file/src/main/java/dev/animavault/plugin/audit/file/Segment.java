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
    private IndexLoader loader;
    private FileChannel channel;
    private boolean closed;

    Segment(long number, Path file, AuditIndex index) {
        this.number = number;
        this.file = file;
        this.index = index;
    }

    /**
     * A sealed segment whose index is loaded (mapped, or rebuilt from the segment when its file no longer
     * matches) by the first {@link #index()}: opening the trail touches no index but the open segment's.
     */
    Segment(long number, Path file, IndexLoader loader) {
        this.number = number;
        this.file = file;
        this.loader = loader;
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
        AuditIndex i = index;
        return i != null ? i : load();
    }

    /** Whether the index is in memory (mapped) already. */
    boolean indexLoaded() {
        return index != null;
    }

    private synchronized AuditIndex load() {
        if (index == null) {
            try {
                index = loader.load();
                loader = null;
            } catch (IOException e) {
                throw new dev.animavault.spi.VaultException(dev.animavault.spi.ErrorCode.AUDIT_UNAVAILABLE,
                        "the index of audit segment " + file.getFileName() + " cannot be loaded: "
                        + e.getClass().getSimpleName(), e);
            }
        }
        return index;
    }

    /** At rollover: the segment now lives at its sealed name, indexed by the mapped index. */
    synchronized void sealed(Path sealedFile, AuditIndex sealedIndex) {
        this.file = sealedFile;
        this.index = sealedIndex;
        this.loader = null;
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
