package dev.animavault.plugin.audit.file;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a JSON-lines file front to back and hands each complete line (without its {@code \n}) to a
 * consumer, with its byte offset. Bytes after the last {@code \n} are an incomplete line (a torn write);
 * they are not handed over but reported in the {@link Result}. Lines may be of any length.
 */
final class AuditLineScanner {
    private static final int CHUNK = 1 << 20;

    /** Receives complete lines. The array is reused: copy what you keep. */
    @FunctionalInterface
    interface LineConsumer {
        /**
         * @param lineNumber 1-based
         * @param offset     byte offset of the line's first byte in the file
         * @return false to stop scanning
         */
        boolean line(long lineNumber, long offset, byte[] buf, int start, int length) throws IOException;
    }

    /**
     * @param lines      complete lines seen
     * @param completeEnd offset just after the last complete line's {@code \n}
     * @param totalBytes bytes read; larger than {@code completeEnd} when the file ends in a torn line
     * @param stopped    whether the consumer stopped the scan early
     */
    record Result(long lines, long completeEnd, long totalBytes, boolean stopped) {
        boolean hasTornTail() {
            return !stopped && totalBytes > completeEnd;
        }
    }

    private AuditLineScanner() {
    }

    static Result scan(InputStream in, LineConsumer consumer) throws IOException {
        byte[] buf = new byte[CHUNK];
        int filled = 0;
        long bufferStartOffset = 0;
        long lineNumber = 0;
        while (true) {
            if (filled == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            int n = in.read(buf, filled, buf.length - filled);
            if (n < 0) {
                return new Result(lineNumber, bufferStartOffset, bufferStartOffset + filled, false);
            }
            int searchFrom = filled;
            filled += n;
            int lineStart = 0;
            for (int i = searchFrom; i < filled; i++) {
                if (buf[i] == '\n') {
                    lineNumber++;
                    if (!consumer.line(lineNumber, bufferStartOffset + lineStart, buf, lineStart, i - lineStart)) {
                        long end = bufferStartOffset + i + 1;
                        return new Result(lineNumber, end, end, true);
                    }
                    lineStart = i + 1;
                }
            }
            // Keep the incomplete remainder at the front of the buffer.
            System.arraycopy(buf, lineStart, buf, 0, filled - lineStart);
            filled -= lineStart;
            bufferStartOffset += lineStart;
        }
    }
}
