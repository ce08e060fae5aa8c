package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Opens a trail: finishes a rollover a crash interrupted, maps each sealed segment's persisted index
 * (rebuilding one that is missing or does not match its segment), checks that consecutive segments chain,
 * and loads the open segment: from its index file when one from a clean close still matches the file (then
 * only the lines after it are read and parsed, the covered ones only hashed to check the chain), else by
 * reading it whole. A torn last line is set aside. Runs once, before the sink is published.
 */
final class TrailLoader {
    private static final System.Logger LOG = System.getLogger(TrailLoader.class.getName());

    private final FileAuditSinkConfig config;
    private final SegmentLayout layout;
    private final AuditLineCodec codec = new AuditLineCodec();
    private final MessageDigest sha256 = AuditHashChain.sha256();

    /** What the sink needs to go on: sealed segments oldest first, and the open segment's state. */
    record Loaded(List<Segment> sealed, long activeNumber, AuditIndex activeIndex, long end, long lines,
                  byte[] head) {
    }

    TrailLoader(FileAuditSinkConfig config) {
        this.config = config;
        this.layout = new SegmentLayout(config.path());
    }

    /** Before the open segment is opened: a crash between the two renames of a rollover is finished. */
    void finishInterruptedRollover() throws IOException {
        List<SegmentLayout.Sealed> cps = layout.sealedCheckpoints();
        if (cps.isEmpty()) {
            return;
        }
        SegmentLayout.Sealed last = cps.get(cps.size() - 1);
        Path sealedFile = layout.sealed(last.number());
        if (!Files.exists(sealedFile) && Files.exists(config.path())
                && !Files.exists(SegmentLayout.checkpoints(config.path()))) {
            LOG.log(System.Logger.Level.WARNING, "audit file {0}: finishing a rollover interrupted by a crash ({1})",
                    config.path(), sealedFile.getFileName());
            Files.move(config.path(), sealedFile, StandardCopyOption.ATOMIC_MOVE);
            SegmentWriter.syncDirectory(sealedFile.getParent());
        }
    }

    /** Maps (or rebuilds) the sealed segments' indexes and checks that they chain. */
    List<Segment> sealed() throws IOException {
        List<Segment> out = new ArrayList<>();
        byte[] previousHead = null;
        for (SegmentLayout.Sealed s : layout.sealed()) {
            AuditIndexFile.Loaded loaded = sealedIndex(s.number(), s.file());
            Segment segment = new Segment(s.number(), s.file(), loaded.index());
            out.add(segment);
            if (config.verifyOnOpen() && previousHead != null && loaded.index().size() > 0) {
                String prev = firstPrev(segment);
                if (!prev.equals(AuditHashChain.hex(previousHead))) {
                    throw broken("segment " + s.file().getFileName() + " does not continue the segment before it"
                            + " (a segment was deleted, replaced or reordered)");
                }
            }
            previousHead = loaded.header().head();
        }
        return out;
    }

    private AuditIndexFile.Loaded sealedIndex(long number, Path file) throws IOException {
        Path idx = SegmentLayout.index(file);
        long size = Files.size(file);
        Optional<AuditIndexFile.Loaded> loaded = AuditIndexFile.read(idx, false)
                .filter(l -> matches(l, number, file, size));
        if (loaded.isPresent()) {
            return loaded.get();
        }
        LOG.log(System.Logger.Level.INFO, "audit segment {0}: rebuilding its index", file.getFileName());
        AuditIndex index = new AuditIndex();
        byte[] head = new byte[AuditLineCodec.HASH_BYTES];
        long[] end = {0};
        scan(file, 0, null, index, head, end, true);
        AuditIndexFile.write(idx, number, end[0], head, index);
        return AuditIndexFile.read(idx, false).orElseThrow(() -> new IOException("cannot read back " + idx));
    }

    /** Whether an index file belongs to the segment as it is: number, size and the last line's hash. */
    private boolean matches(AuditIndexFile.Loaded l, long number, Path file, long size) {
        AuditIndex index = l.index();
        if (l.header().segment() != number || l.header().end() > size || index.endOffset() != l.header().end()) {
            return false;
        }
        if (index.size() == 0) {
            return l.header().end() == 0;
        }
        int lastOrdinal = index.size() - 1;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            int length = index.lengthOf(lastOrdinal) + 1;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
            ch.read(b, index.offsetOf(lastOrdinal));
            byte[] line = b.array();
            if (b.position() != length || line[length - 1] != '\n') {
                return false;
            }
            byte[] hash = new byte[AuditLineCodec.HASH_BYTES];
            AuditHashChain.hash(sha256, line, 0, length - 1, hash);
            return Arrays.equals(hash, l.header().head());
        } catch (IOException e) {
            return false;
        }
    }

    private String firstPrev(Segment segment) throws IOException {
        AuditIndex index = segment.index();
        byte[] line = segment.read(index.offsetOf(0), index.lengthOf(0));
        try {
            return codec.decode(line, 0, line.length).prev();
        } catch (AuditLineCodec.MalformedLineException e) {
            throw broken("the first line of segment " + segment.file().getFileName() + " is not a well-formed record");
        }
    }

    /**
     * Loads the open segment, whose writer is open and locked.
     *
     * @param previousHead the last sealed segment's head, or null (then the chain starts at GENESIS)
     */
    Loaded active(long number, SegmentWriter writer, List<Segment> sealed, byte[] previousHead) throws IOException {
        Path path = config.path();
        byte[] expected = previousHead == null ? new byte[AuditLineCodec.HASH_BYTES] : previousHead.clone();
        Path idx = SegmentLayout.index(path);
        long size = Files.size(path);
        Optional<AuditIndexFile.Loaded> prefix = AuditIndexFile.read(idx, true)
                .filter(l -> matches(l, number, path, size));
        AuditIndex index;
        long from = 0;
        long lines = 0;
        if (prefix.isPresent()) {
            index = prefix.get().index();
            from = prefix.get().header().end();
            lines = index.size();
            if (config.verifyOnOpen() && !Arrays.equals(digest(path, from), prefix.get().header().digest())) {
                // changed since the clean close that wrote the index: find the line (hashed, not parsed)
                scan(path, 0, expected, null, expected, new long[1], true, from);
                expected = prefix.get().header().head().clone();
            } else {
                expected = prefix.get().header().head().clone();
            }
        } else {
            index = new AuditIndex();
        }
        long[] end = {from};
        AuditLineScanner.Result result = scan(path, from, expected, index, expected, end, config.verifyOnOpen());
        if (result.hasTornTail()) {
            quarantineTornTail(writer.file(), end[0], from + result.totalBytes());
        }
        return new Loaded(sealed, number, index, end[0], lines + result.lines(), expected);
    }

    /** SHA-256 of a file's bytes {@code [0, end)}. */
    static byte[] digest(Path file, long end) throws IOException {
        MessageDigest d = AuditHashChain.sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            while (pos < end) {
                b.clear().limit((int) Math.min(b.capacity(), end - pos));
                int n = ch.read(b, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
                d.update(b.flip());
            }
        }
        return d.digest();
    }

    private AuditLineScanner.Result scan(Path file, long from, byte[] expected, AuditIndex index, byte[] head,
                                          long[] end, boolean verify) throws IOException {
        return scan(file, from, expected, index, head, end, verify, Long.MAX_VALUE);
    }

    /**
     * Reads lines from {@code from} (up to {@code until} when only hashing), checks each line's prev against
     * the chain when {@code verify}, adds them to {@code index} (null: only hash), and leaves the last line's
     * hash in {@code head} and the end of the last complete line in {@code end[0]}.
     */
    private AuditLineScanner.Result scan(Path file, long from, byte[] expected, AuditIndex index, byte[] head,
                                          long[] end, boolean verify, long until) throws IOException {
        byte[] chain = expected == null ? new byte[AuditLineCodec.HASH_BYTES] : expected.clone();
        boolean checkFirst = expected != null;
        long[] broken = {-1};
        long[] unreadable = {0};
        AuditLineScanner.Result result;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position(from);
            InputStream raw = Channels.newInputStream(ch);
            InputStream in = new BufferedInputStream(until == Long.MAX_VALUE ? raw : new java.io.FilterInputStream(raw) {
                private long left = until - from;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(b, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }
            }, 1 << 16);
            result = AuditLineScanner.scan(in, (lineNumber, offset, buf, start, length) -> {
                boolean ok = true;
                boolean check = verify && (checkFirst || lineNumber > 1);
                if (index == null && length >= 66 && buf[start + length - 1] == '}' && buf[start + length - 2] == '"') {
                    ok = !check || hexEquals(buf, start + length - 66, chain);
                } else {
                    try {
                        AuditLineCodec.Decoded decoded = codec.decode(buf, start, length);
                        ok = !check || decoded.prev().equals(AuditHashChain.hex(chain));
                        if (index != null) {
                            index.add(from + offset, length, decoded.event());
                        }
                    } catch (AuditLineCodec.MalformedLineException e) {
                        ok = false;
                        unreadable[0]++;
                    }
                }
                if (!ok && broken[0] < 0) {
                    broken[0] = lineNumber;
                }
                AuditHashChain.hash(sha256, buf, start, length, chain);
                return !verify || broken[0] < 0;
            });
        }
        if (broken[0] > 0) {
            if (verify) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + file + " fails hash-chain "
                        + "verification at line " + (broken[0] + linesBefore(file, from)) + "; keep it as evidence, "
                        + "move it aside to start a new chain, or set 'verify-on-open' to false to continue it");
            }
            LOG.log(System.Logger.Level.WARNING, "audit file {0}: hash chain broken at line {1}, {2} unreadable"
                    + " line(s) not queryable; continuing because verify-on-open is false", file, broken[0], unreadable[0]);
        }
        System.arraycopy(chain, 0, head, 0, head.length);
        end[0] = from + result.completeEnd();
        return result;
    }

    /** Lines before {@code offset} (only when reporting a break after an index-covered prefix). */
    private static long linesBefore(Path file, long offset) throws IOException {
        if (offset == 0) {
            return 0;
        }
        long n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (long i = 0; i < offset; i++) {
                if (in.read() == '\n') {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean hexEquals(byte[] buf, int at, byte[] hash) {
        final byte[] hex = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
        for (int i = 0; i < hash.length; i++) {
            if (buf[at + 2 * i] != hex[(hash[i] >> 4) & 0xF] || buf[at + 2 * i + 1] != hex[hash[i] & 0xF]) {
                return false;
            }
        }
        return true;
    }

    private VaultException broken(String what) {
        return new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + config.path() + " " + what);
    }

    private void quarantineTornTail(RandomAccessFile writer, long from, long to) throws IOException {
        Path path = config.path();
        byte[] torn = new byte[Math.toIntExact(to - from)];
        writer.seek(from);
        writer.readFully(torn);
        Path side = path.resolveSibling(path.getFileName() + ".torn-" + System.currentTimeMillis());
        if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(side, SegmentWriter.ownerOnly());
        }
        Files.write(side, torn, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        writer.setLength(from);
        writer.getFD().sync();
        LOG.log(System.Logger.Level.WARNING, "audit file {0} ended in an incomplete line ({1} bytes) from an"
                + " interrupted write; moved it to {2}", path, torn.length, side);
    }
}
