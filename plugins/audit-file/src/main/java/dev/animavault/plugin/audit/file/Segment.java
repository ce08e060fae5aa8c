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
    private final long number;
    private volatile Path file;
    private volatile AuditIndex index;
    private FileChannel channel;
    private boolean closed;

    Segment(long number, Path file, AuditIndex index) {
        this.number = number;
        this.file = file;
        this.index = index;
    }

    long number() {
        return number;
    }

    Path file() {
        return file;
    }

    AuditIndex index() {
        return index;
    }

    /** At rollover: the segment now lives at its sealed name, indexed by the mapped index. */
    void sealed(Path sealedFile, AuditIndex sealedIndex) {
        this.file = sealedFile;
        this.index = sealedIndex;
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
