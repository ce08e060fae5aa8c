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
 * Opens a trail in time that does not grow with the trail: finishes a rollover a crash interrupted; for
 * each sealed segment reads only its index file's 128-byte header, checks it against the segment's last
 * line (and, with {@code verify-on-open}, the segment's first line against the previous segment's last),
 * and leaves the index to be mapped on first use (one missing or not matching is rebuilt now); loads the
 * open segment: its index from a clean close when it still matches the file (the covered bytes checked
 * against the digest the close recorded), and the lines after it (all of them after a crash) are only
 * hashed now to check the chain and find the end; parsing them into the index is left to
 * {@link #index}, which the sink runs in the background. The open segment is bounded by
 * {@code rollover-size}. A torn last line is set aside. Runs before the sink is published, except
 * {@link #index}.
 */
final class TrailLoader {
    private static final System.Logger LOG = System.getLogger(TrailLoader.class.getName());

    private final FileAuditSinkConfig config;
    private final SegmentLayout layout;
    private final AuditLineDecoder decoder = new AuditLineDecoder();
    private final MessageDigest sha256 = AuditHashChain.sha256();
    /** Set by the sink's close: a background {@link #index} stops at the next line. */
    volatile boolean cancelled;
    /** The open segment's digest up to its index's end, computed while the rest of the open goes on; or null. */
    private java.util.concurrent.CompletableFuture<byte[]> earlyDigest;
    private long earlyDigestEnd = -1;

    /**
     * What the sink needs to go on: the open segment's state. {@code activeIndex} covers the lines before
     * {@code indexFrom}; the lines in {@code [indexFrom, indexTo)} are verified but still to be indexed
     * (growing {@code activeIndex}) when {@link #pending()}. When the open segment's index file matched,
     * {@code activeIndex} is null and {@code indexFile} is its header: the file is read in the background
     * ({@link #readIndexFile}), not by the open.
     */
    record Loaded(long activeNumber, AuditIndex activeIndex, AuditIndexFile.Header indexFile, long end, long lines,
                  byte[] head, long indexFrom, long indexTo) {
        boolean pending() {
            return indexFile != null || indexTo > indexFrom;
        }
    }

    /** The sealed segments, oldest first, and the last one's head (the hash of its last line), or null. */
    record SealedTrail(List<Segment> segments, byte[] head) {
    }

    TrailLoader(FileAuditSinkConfig config) {
        this.config = config;
        this.layout = new SegmentLayout(config.path());
    }

    /**
     * Starts hashing the bytes the open segment's index file says it covers on a virtual thread, so that
     * the digest check of {@link #active} overlaps the sealed segments' checks and the writer's opening.
     * Call after {@link #finishInterruptedRollover}; without verify-on-open or a usable header, does nothing.
     */
    void startDigest() {
        Path path = config.path();
        if (!config.verifyOnOpen()) {
            return;
        }
        Optional<AuditIndexFile.Header> header = AuditIndexFile.readHeader(SegmentLayout.index(path));
        try {
            if (header.isEmpty() || header.get().end() <= 0 || header.get().end() > Files.size(path)) {
                return;
            }
        } catch (IOException e) {
            return;
        }
        long end = header.get().end();
        earlyDigestEnd = end;
        earlyDigest = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("audit-file-digest").start(new Runnable() { // a class: see scan
            @Override
            public void run() {
                try {
                    earlyDigest.complete(SegmentFiles.digest(path, end));
                } catch (IOException | RuntimeException e) {
                    earlyDigest.completeExceptionally(e);
                }
            }
        });
    }

    /** The digest of the open segment's bytes {@code [0, end)}: the early one when it covers just that. */
    private byte[] digestOfActive(Path path, long end) throws IOException {
        if (earlyDigest != null && earlyDigestEnd == end) {
            try {
                return earlyDigest.join();
            } catch (java.util.concurrent.CompletionException e) {
                // read again below; a real error shows there
            }
        }
        return SegmentFiles.digest(path, end);
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

    /**
     * Lists the sealed segments with their indexes left to load on first use, checks each index file's
     * header against its segment and, with verify-on-open, that consecutive segments chain (two short reads
     * per segment).
     */
    SealedTrail sealed(SealedIndexes bound) throws IOException {
        List<Segment> out = new ArrayList<>();
        byte[] previousHead = null;
        for (SegmentLayout.Sealed s : layout.sealed()) {
            Path idx = SegmentLayout.index(s.file());
            Optional<AuditIndexFile.Header> header = AuditIndexFile.readHeader(idx)
                    .filter(h -> headerMatches(h, s.number(), s.file()));
            AuditIndexFile.Header h;
            Segment segment;
            if (header.isPresent()) {
                h = header.get();
            } else {
                h = rebuild(s.number(), s.file()).header(); // mapped again on first use, like the others
            }
            segment = new Segment(s.number(), s.file(), h.lines(), sealedLoader(s.number(), s.file(), h), bound);
            out.add(segment);
            if (h.lines() > 0) {
                if (config.verifyOnOpen() && previousHead != null) {
                    checkContinues(s.file(), previousHead);
                }
                previousHead = h.head();
            }
        }
        return new SealedTrail(out, previousHead);
    }

    /**
     * What loads a sealed segment's index, on first use and again after {@link SealedIndexes} dropped it: maps its
     * index file, or rebuilds it when the file no longer matches {@code expected}.
     */
    Segment.IndexLoader sealedLoader(long number, Path file, AuditIndexFile.Header expected) {
        return () -> mapIndex(number, file, expected);
    }

    /** On first use of a sealed segment: maps its index file, or rebuilds it when it changed since open. */
    private AuditIndex mapIndex(long number, Path file, AuditIndexFile.Header expected) throws IOException {
        Optional<AuditIndexFile.Loaded> loaded = AuditIndexFile.read(SegmentLayout.index(file), false)
                .filter(l -> l.header().segment() == number && l.header().end() == expected.end()
                        && Arrays.equals(l.header().head(), expected.head()) && l.index().size() == expected.lines()
                        && l.index().endOffset() == expected.end());
        return loaded.isPresent() ? loaded.get().index() : rebuild(number, file).index();
    }

    private AuditIndexFile.Loaded rebuild(long number, Path file) throws IOException {
        Path idx = SegmentLayout.index(file);
        LOG.log(System.Logger.Level.INFO, "audit segment {0}: rebuilding its index", file.getFileName());
        AuditIndex index = new AuditIndex();
        byte[] head = new byte[AuditLineCodec.HASH_BYTES];
        long[] end = {0};
        scan(file, 0, null, index, head, end, true);
        AuditIndexFile.write(idx, number, end[0], head, index);
        return AuditIndexFile.read(idx, false).orElseThrow(() -> new IOException("cannot read back " + idx));
    }

    /** Whether an index file's header belongs to the segment as it is: number, end and the last line's hash. */
    private boolean headerMatches(AuditIndexFile.Header h, long number, Path file) {
        try {
            if (h.segment() != number || h.end() > Files.size(file)) {
                return false;
            }
            if (h.lines() == 0) {
                return h.end() == 0;
            }
            byte[] line = SegmentFiles.lastLine(file, h.end());
            if (line == null) {
                return false;
            }
            byte[] hash = new byte[AuditLineCodec.HASH_BYTES];
            AuditHashChain.hash(sha256, line, 0, line.length, hash);
            return Arrays.equals(hash, h.head());
        } catch (IOException e) {
            return false;
        }
    }

    /** Checks that a segment's first line names {@code previousHead} as its prev (without parsing it when it can). */
    private void checkContinues(Path file, byte[] previousHead) throws IOException {
        byte[] line = SegmentFiles.firstLine(file);
        if (line != null && line.length >= 66 && line[line.length - 1] == '}' && line[line.length - 2] == '"'
                && hexEquals(line, line.length - 66, previousHead)) {
            return;
        }
        String prev;
        try {
            if (line == null) {
                throw new AuditLineCodec.MalformedLineException("no complete line");
            }
            prev = decoder.decode(line, 0, line.length).prev();
        } catch (AuditLineCodec.MalformedLineException e) {
            throw broken("the first line of segment " + file.getFileName() + " is not a well-formed record");
        }
        if (!prev.equals(AuditHashChain.hex(previousHead))) {
            throw broken("segment " + file.getFileName() + " does not continue the segment before it"
                    + " (a segment was deleted, replaced or reordered)");
        }
    }

    /** The epoch second of a file's first event (for daily rollover after a crash), or empty. */
    java.util.OptionalLong firstSecond(Path file) throws IOException {
        byte[] line = SegmentFiles.firstLine(file);
        if (line == null) {
            return java.util.OptionalLong.empty();
        }
        try {
            return java.util.OptionalLong.of(decoder.decode(line, 0, line.length).event().timestamp().getEpochSecond());
        } catch (AuditLineCodec.MalformedLineException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /**
     * The open segment's persisted index, read in the background after an open that checked its header
     * ({@link Loaded#indexFile()}); null when the file no longer reads as that index (the caller parses the
     * segment instead). Reading it (its chunks into fresh direct memory: ~20-30 ms of page faults for a large open
     * segment) was the open's largest part that grows with the trail (docs/performance.md, thirteenth pass).
     */
    AuditIndex readIndexFile(AuditIndexFile.Header expected) {
        Optional<AuditIndexFile.Loaded> loaded = AuditIndexFile.read(SegmentLayout.index(config.path()), true);
        if (loaded.isEmpty()) {
            return null;
        }
        AuditIndexFile.Header h = loaded.get().header();
        AuditIndex index = loaded.get().index();
        if (h.segment() != expected.segment() || h.end() != expected.end() || h.lines() != expected.lines()
                || !Arrays.equals(h.head(), expected.head()) || index.size() != expected.lines()
                || index.endOffset() != expected.end()) {
            return null;
        }
        index.decodeInBackground(); // neither the first write nor a query waits for the dictionaries
        return index;
    }

    /**
     * Loads the open segment, whose writer is open and locked.
     *
     * @param previousHead the last sealed segment's head, or null (then the chain starts at GENESIS)
     */
    Loaded active(long number, SegmentWriter writer, byte[] previousHead) throws IOException {
        Path path = config.path();
        byte[] expected = previousHead == null ? new byte[AuditLineCodec.HASH_BYTES] : previousHead.clone();
        Path idx = SegmentLayout.index(path);
        // the index file's header only (number, end within the file, the hash of the line ending at end): the file
        // itself is read in the background (readIndexFile), which falls back to parsing the segment
        Optional<AuditIndexFile.Header> prefix = AuditIndexFile.readHeader(idx);
        if (prefix.isPresent() && !headerMatches(prefix.get(), number, path)) {
            prefix = Optional.empty();
        }
        AuditIndex index = null;
        AuditIndexFile.Header indexFile = null;
        long from = 0;
        long lines = 0;
        if (prefix.isPresent()) {
            indexFile = prefix.get();
            from = indexFile.end();
            lines = indexFile.lines();
            if (config.verifyOnOpen() && !Arrays.equals(digestOfActive(path, from), indexFile.digest())) {
                // changed since the clean close that wrote the index: find the line (hashed, not parsed)
                scan(path, 0, expected, null, expected, new long[1], true, from);
            }
            expected = indexFile.head().clone();
        } else {
            index = new AuditIndex();
        }
        long[] end = {from};
        // only hashed now (the chain checked, the end found); parsed into the index by index(), later
        AuditLineScanner.Result result = scan(path, from, expected, null, expected, end, config.verifyOnOpen());
        if (result.hasTornTail()) {
            quarantineTornTail(writer.file(), end[0], from + result.totalBytes());
        }
        return new Loaded(number, index, indexFile, end[0], lines + result.lines(), expected, from, end[0]);
    }

    /**
     * Parses the lines in {@code [from, to)} of a file into {@code index} (verified already, so the chain is
     * not checked again); stops early when {@link #cancelled}. Meant for a background thread.
     */
    void index(Path file, long from, long to, AuditIndex index) throws IOException {
        scan(file, from, null, index, new byte[AuditLineCodec.HASH_BYTES], new long[1], false, to);
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
            // a class, not a lambda: a plugin's lambdas are spun at every start (issue 19), and every open scans
            result = AuditLineScanner.scan(in, new AuditLineScanner.LineConsumer() {
                @Override
                public boolean line(long lineNumber, long offset, byte[] buf, int start, int length)
                        throws IOException {
                    if (cancelled) {
                        return false;
                    }
                    boolean ok = true;
                    boolean check = verify && (checkFirst || lineNumber > 1);
                    if (index == null && length >= 66 && buf[start + length - 1] == '}' && buf[start + length - 2] == '"') {
                        ok = !check || hexEquals(buf, start + length - 66, chain);
                    } else {
                        try {
                            AuditLineCodec.Decoded decoded = decoder.decode(buf, start, length);
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
                }
            });
        }
        if (broken[0] > 0) {
            if (verify) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + file + " fails hash-chain "
                        + "verification at line " + (broken[0] + SegmentFiles.linesBefore(file, from)) + "; keep it as evidence, "
                        + "move it aside to start a new chain, or set 'verify-on-open' to false to continue it");
            }
            LOG.log(System.Logger.Level.WARNING, "audit file {0}: hash chain broken at line {1}, {2} unreadable"
                    + " line(s) not queryable; continuing because verify-on-open is false", file, broken[0], unreadable[0]);
        }
        System.arraycopy(chain, 0, head, 0, head.length);
        end[0] = from + result.completeEnd();
        return result;
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
