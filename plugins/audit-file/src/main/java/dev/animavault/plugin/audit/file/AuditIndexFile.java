package dev.animavault.plugin.audit.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The persisted form of an {@link AuditIndex}: {@code <segment>.idx}, written when a segment is sealed
 * (rollover) and, for the open segment, at a clean close. Layout, little-endian: a 128-byte header
 * ({@code AVIDX002}, segment number, line count, end offset, SHA-256 of the last line, a
 * content check of the segment's bytes up to the end offset for the open segment ({@link SegmentFiles#digest}) or
 * zeros, padding), the index's
 * chunks verbatim ({@link AuditIndex#CHUNK_BYTES} each, the last one zero-padded), then the five
 * dictionaries (count, then length-prefixed UTF-8 values, in code order).
 *
 * <p>Crash safety: written to {@code .idx.tmp}, forced, then renamed over the old file; a reader checks
 * the header against the segment (size, last line's hash) and falls back to reading the segment when
 * they differ, so a missing, stale or torn index file only costs a rebuild. A sealed segment's index is
 * memory-mapped read-only: it costs page cache, not heap or direct memory, and the OS drops its pages
 * under pressure. Stateless; thread-safe.
 */
final class AuditIndexFile {
    private static final byte[] MAGIC = "AVIDX002".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_BYTES = 128;

    /** What an index file says about its segment. */
    record Header(long segment, long lines, long end, byte[] head, byte[] digest) {
    }

    /** A loaded index and its header. */
    record Loaded(Header header, AuditIndex index) {
    }

    private AuditIndexFile() {
    }

    /** Writes the index of a segment, crash-safely (temporary file, force, rename). */
    static void write(Path file, long segment, long end, byte[] head, AuditIndex index) throws IOException {
        write(file, segment, end, head, new byte[32], index);
    }

    /**
     * Writes the index with {@code digest}: the content check of the segment's bytes {@code [0, end)} (the open
     * segment at a clean close: the next open checks the file is byte for byte what was indexed, instead of
     * re-reading every line's chain).
     */
    static void write(Path file, long segment, long end, byte[] head, byte[] digest, AuditIndex index)
            throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ByteBuffer[] chunks = index.chunksInUse();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putLong(segment).putLong(index.size()).putLong(end).put(head, 0, 32).put(digest, 0, 32)
                    .clear();
            writeFully(ch, header);
            for (ByteBuffer c : chunks) {
                writeFully(ch, c.duplicate().clear());
            }
            for (List<String> dictionary : index.dictionaries()) {
                int bytes = Integer.BYTES;
                List<byte[]> encoded = new ArrayList<>(dictionary.size());
                for (String v : dictionary) {
                    byte[] b = v.getBytes(StandardCharsets.UTF_8);
                    encoded.add(b);
                    bytes += Integer.BYTES + b.length;
                }
                ByteBuffer d = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(encoded.size());
                for (byte[] b : encoded) {
                    d.putInt(b.length).put(b);
                }
                writeFully(ch, d.flip());
            }
            ch.force(false);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads only an index file's header (128 bytes): what opening the trail needs of a sealed segment.
     * Empty when the file is missing or is no index file.
     */
    static Optional<Header> readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() < HEADER_BYTES) {
                return Optional.empty();
            }
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                // positional reads until the header is in
            }
            byte[] magic = new byte[MAGIC.length];
            b.get(0, magic);
            long lines = b.getLong(16);
            long end = b.getLong(24);
            if (b.hasRemaining() || !Arrays.equals(magic, MAGIC) || lines < 0 || lines > Integer.MAX_VALUE || end < 0) {
                return Optional.empty();
            }
            byte[] head = new byte[32];
            b.get(32, head);
            byte[] digest = new byte[32];
            b.get(64, digest);
            return Optional.of(new Header(b.getLong(8), lines, end, head, digest));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Reads an index file: mapped read-only ({@code copy} false) or read into a growable index (the open
     * segment's: its chunks straight into fresh direct buffers, its dictionaries into the heap; no mapping, whose
     * first use in a JVM costs the JDK's reflective set-up of mapped buffers on the startup path, issue 19). Empty
     * when the file is missing or not a well-formed index (then the segment is read instead).
     */
    static Optional<Loaded> read(Path file, boolean copy) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                return Optional.empty();
            }
            ByteBuffer map = copy ? ByteBuffer.allocate(HEADER_BYTES) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            if (copy && !readFully(ch, map, 0)) {
                return Optional.empty();
            }
            map.order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[MAGIC.length];
            map.get(0, magic);
            if (!Arrays.equals(magic, MAGIC)) {
                return Optional.empty();
            }
            long segment = map.getLong(8);
            long lines = map.getLong(16);
            long end = map.getLong(24);
            byte[] head = new byte[32];
            map.get(32, head);
            byte[] digest = new byte[32];
            map.get(64, digest);
            if (lines < 0 || lines > Integer.MAX_VALUE || end < 0) {
                return Optional.empty();
            }
            int chunkCount = (int) ((lines + AuditIndex.CHUNK_BYTES / AuditIndex.ENTRY_BYTES - 1)
                    / (AuditIndex.CHUNK_BYTES / AuditIndex.ENTRY_BYTES));
            long dictAt = HEADER_BYTES + (long) chunkCount * AuditIndex.CHUNK_BYTES;
            if (dictAt > size) {
                return Optional.empty();
            }
            ByteBuffer[] chunks = new ByteBuffer[chunkCount];
            for (int c = 0; c < chunkCount; c++) {
                long at = HEADER_BYTES + (long) c * AuditIndex.CHUNK_BYTES;
                if (copy) {
                    chunks[c] = ByteBuffer.allocateDirect(AuditIndex.CHUNK_BYTES);
                    if (!readFully(ch, chunks[c], at)) {
                        return Optional.empty();
                    }
                    chunks[c].clear(); // read from position 0 like a mapped slice
                } else {
                    chunks[c] = map.slice(Math.toIntExact(at), AuditIndex.CHUNK_BYTES);
                }
                chunks[c].order(ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer encoded;
            if (copy) { // the open segment's: the index file is replaced at the next clean close
                encoded = ByteBuffer.allocate(Math.toIntExact(size - dictAt));
                if (!readFully(ch, encoded, dictAt)) {
                    return Optional.empty();
                }
                encoded.clear();
            } else {
                encoded = map.slice(Math.toIntExact(dictAt), Math.toIntExact(size - dictAt));
            }
            // the dictionaries' layout is checked now (lengths inside the file); their strings are decoded at first use
            encoded.order(ByteOrder.LITTLE_ENDIAN);
            AuditIndex.EncodedValues[] dictionaries = new AuditIndex.EncodedValues[5];
            int p = 0;
            for (int d = 0; d < 5; d++) {
                int count = encoded.getInt(p);
                if (count < 0) {
                    return Optional.empty();
                }
                dictionaries[d] = new Encoded(encoded, p + Integer.BYTES, count);
                p += Integer.BYTES;
                for (int i = 0; i < count; i++) {
                    int len = encoded.getInt(p);
                    if (len < 0 || len > encoded.capacity() - p - Integer.BYTES) {
                        return Optional.empty();
                    }
                    p += Integer.BYTES + len;
                }
            }
            return Optional.of(new Loaded(new Header(segment, lines, end, head, digest), copy
                    ? AuditIndex.adopting(chunks, (int) lines, dictionaries)
                    : new AuditIndex(chunks, (int) lines, dictionaries, false)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            // torn or foreign content: the caller rebuilds from the segment
            return Optional.empty();
        }
    }

    /** Positional reads until {@code b} is full; false when the file ends first. */
    private static boolean readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                return false;
            }
            p += n;
        }
        return true;
    }

    /** One dictionary of an index file: {@code count} length-prefixed UTF-8 values from {@code at}, checked already. */
    private record Encoded(ByteBuffer bytes, int at, int count) implements AuditIndex.EncodedValues {
        @Override
        public List<String> decode() {
            List<String> values = new ArrayList<>(count);
            int p = at;
            byte[] b = new byte[64];
            for (int i = 0; i < count; i++) {
                int len = bytes.getInt(p);
                p += Integer.BYTES;
                if (len > b.length) {
                    b = new byte[Math.max(len, b.length * 2)];
                }
                bytes.get(p, b, 0, len);
                p += len;
                values.add(new String(b, 0, len, StandardCharsets.UTF_8));
            }
            return values;
        }
    }
}
