package dev.animavault.plugin.audit.file;

import java.util.Arrays;

/**
 * A growable byte array that a batch of lines is encoded into and written from with one call. Writers
 * reserve room with {@link #ensure}, fill the returned array from {@link #size()} on, then publish the new
 * size with {@link #size(int)}. Not thread-safe.
 */
final class LineBuffer {
    private byte[] buf;
    private int size;

    LineBuffer(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    /** The backing array; valid until the next {@link #ensure}. */
    byte[] array() {
        return buf;
    }

    int size() {
        return size;
    }

    /** Sets the number of bytes in use (after writing into {@link #array()}). */
    void size(int newSize) {
        size = newSize;
    }

    void reset() {
        size = 0;
    }

    /**
     * Makes room for at least {@code extra} more bytes after {@link #size()}.
     *
     * @return the backing array, possibly a new one
     */
    byte[] ensure(long extra) {
        if (buf.length - size < extra) {
            long needed = size + extra;
            if (needed > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("an audit batch of " + needed + " bytes is too large");
            }
            buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * buf.length)));
        }
        return buf;
    }

    void put(byte b) {
        ensure(1)[size++] = b;
    }
}
