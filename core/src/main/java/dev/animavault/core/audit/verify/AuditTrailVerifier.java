package dev.animavault.core.audit.verify;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * Verifies an audit file written by the {@code file} audit sink, independently of the plugin: the hash
 * chain (every line's {@code prev} is the hex SHA-256 of the line before it, {@code 64 zeros} for the
 * first) and the checkpoints in {@code <file>.checkpoints} (each states a line count and the hash of that
 * line, signed with HMAC-SHA256 under a key derived from the keyring's audit key).
 *
 * <p>What is caught: a modified line (the next line's {@code prev}, or a checkpoint covering it, no longer
 * matches), an inserted, deleted or reordered line (the chain breaks where it happened), lines cut from
 * the end (a checkpoint records more lines than the file holds), a rewrite of the whole chain with fresh
 * hashes (checkpoints name other hashes) and a forged checkpoint (its MAC fails, when a key is given).
 * Not caught: the loss of lines written after the last checkpoint together with that tail, and the
 * deletion of both files' tails together; keep copies of checkpoints elsewhere for that.
 *
 * <p>Reads the file once in bounded memory (a few lines of look-ahead at a break). Stateless; thread-safe.
 */
public final class AuditTrailVerifier {
    /** The {@code prev} of the first line. */
    public static final String GENESIS = "0".repeat(64);
    /** The purpose under which the file sink's checkpoint key is derived. */
    public static final String CHECKPOINT_KEY_PURPOSE = "audit-file-checkpoint";
    private static final String MAC_CONTEXT = "anima-vault/audit-checkpoint/v1|";
    private static final String MAC_CONTEXT_V2 = "anima-vault/audit-checkpoint/v2|";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private AuditTrailVerifier() {
    }

    /** What kind of change a finding points at. */
    public enum Kind {
        /** A line's content changed (or a line was deleted right after it: the chain cannot tell them apart). */
        MODIFIED,
        /** A line was inserted. */
        INSERTED,
        /** A line was deleted. */
        DELETED,
        /** Lines are out of order. */
        REORDERED,
        /** Lines were removed from the end. */
        TRUNCATED,
        /** A line is not a well-formed record, or the file ends in an incomplete line. */
        MALFORMED,
        /** A checkpoint is malformed, out of order or fails its MAC. */
        BAD_CHECKPOINT
    }

    /** The first problem found: the 1-based line it names, its kind and a sentence for people. */
    public record Finding(long line, Kind kind, String message) {
    }

    /**
     * The outcome for one file.
     *
     * @param file             the audit file
     * @param lines            complete lines read (up to the break, when there is one)
     * @param head             hex SHA-256 of the last line read (GENESIS for an empty file)
     * @param checkpoints      checkpoints in the checkpoint file (0 when it is missing)
     * @param macsChecked      whether checkpoint MACs were checked (a key was given)
     * @param problem          the first problem, or null when the file verifies
     */
    public record Report(Path file, long lines, String head, int checkpoints, boolean macsChecked, Finding problem) {
        /** Whether the file verifies. */
        public boolean ok() {
            return problem == null;
        }
    }

    private record Checkpoint(int index, long lines, String head, String at, String mac, long segment, String kind) {
    }

    /**
     * One segment's result plus what linking it into a trail needs.
     *
     * @param report        the segment's own result (its first line's prev not checked when {@code firstPrev} was
     *                      not given)
     * @param firstPrev     the {@code prev} of its first line (GENESIS for an empty file)
     * @param lastKind      the kind of its last checkpoint ({@code batch}, {@code rollover}, {@code close};
     *                      {@code batch} for version-1 checkpoints), or null without checkpoints
     * @param lastCovered   the line count of its last checkpoint (0 without checkpoints)
     */
    public record SegmentResult(Report report, String firstPrev, String lastKind, long lastCovered) {
    }

    private record Line(long number, String prev, String hash, boolean wellFormed) {
    }

    /**
     * Verifies one audit file and its checkpoints.
     *
     * @param file          the audit file
     * @param checkpointKey the checkpoint key (see {@link #CHECKPOINT_KEY_PURPOSE}), or null to check the
     *                      checkpoints' content but not their MACs
     * @throws IOException when a file cannot be read
     */
    public static Report verify(Path file, SecretKey checkpointKey) throws IOException {
        return verifySegment(file, checkpointKey, GENESIS).report();
    }

    /**
     * Verifies one segment of a trail and its checkpoints.
     *
     * @param expectedFirstPrev what the first line's {@code prev} must be, or null to accept any (the link to
     *                          the segment before is checked by the caller)
     */
    public static SegmentResult verifySegment(Path file, SecretKey checkpointKey, String expectedFirstPrev)
            throws IOException {
        requireNonNull(file, "file is null");
        Mac mac = checkpointKey == null ? null : mac(checkpointKey);
        String[] firstPrev = {GENESIS};
        Report r = verifySegment(file, mac, expectedFirstPrev, firstPrev);
        Path cpFile = file.resolveSibling(file.getFileName() + ".checkpoints");
        String lastKind = null;
        long lastCovered = 0;
        if (r.problem() == null || r.problem().kind() != Kind.BAD_CHECKPOINT) {
            List<Checkpoint> cps = new ArrayList<>();
            if (Files.exists(cpFile) && readCheckpoints(cpFile, null, cps) == null && !cps.isEmpty()) {
                Checkpoint last = cps.get(cps.size() - 1);
                lastKind = last.kind();
                lastCovered = last.lines();
            }
        }
        return new SegmentResult(r, firstPrev[0], lastKind, lastCovered);
    }

    private static Report verifySegment(Path file, Mac mac, String expectedFirstPrev, String[] firstPrevOut)
            throws IOException {
        // the checkpoints first: a live sink appends to the audit file before it checkpoints
        Path cpFile = file.resolveSibling(file.getFileName() + ".checkpoints");
        List<Checkpoint> cps = new ArrayList<>();
        Finding cpProblem = Files.exists(cpFile) ? readCheckpoints(cpFile, mac, cps) : null;
        if (cpProblem != null) {
            return new Report(file, 0, GENESIS, cps.size(), mac != null, cpProblem);
        }
        MessageDigest sha256 = sha256();
        try (LineReader in = new LineReader(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            String[] recent = {expectedFirstPrev == null ? GENESIS : expectedFirstPrev, null}; // the line before, and the one before that
            int next = 0; // next checkpoint to check
            long number = 0;
            while (true) {
                byte[] bytes = in.next();
                if (bytes == null) {
                    break;
                }
                number++;
                Line line = line(number, bytes, sha256);
                if (!line.wellFormed()) {
                    return new Report(file, number - 1, recent[0], cps.size(), mac != null, new Finding(number,
                            Kind.MALFORMED, "line " + number + " is not a well-formed audit record (it was edited)"));
                }
                if (number == 1) {
                    firstPrevOut[0] = line.prev();
                    if (expectedFirstPrev == null) {
                        recent[0] = line.prev(); // the link to the segment before is the caller's to check
                    }
                }
                if (!line.prev().equals(recent[0])) {
                    Finding f = classify(line, recent, in, sha256);
                    return new Report(file, number - 1, recent[0], cps.size(), mac != null, f);
                }
                while (next < cps.size() && cps.get(next).lines() == number) {
                    Checkpoint cp = cps.get(next++);
                    if (!cp.head().equals(line.hash())) {
                        return new Report(file, number, line.hash(), cps.size(), mac != null, new Finding(number,
                                Kind.MODIFIED, "line " + number + " does not hash to what the checkpoint of " + cp.at()
                                + " recorded: it was modified, or the lines up to it were rewritten"));
                    }
                }
                recent[1] = recent[0];
                recent[0] = line.hash();
            }
            if (in.tornTail()) {
                return new Report(file, number, recent[0], cps.size(), mac != null, new Finding(number + 1,
                        Kind.MALFORMED, "the file ends in an incomplete line after line " + number
                        + " (an interrupted write, or an edit)"));
            }
            if (next < cps.size()) {
                Checkpoint cp = cps.get(cps.size() - 1);
                return new Report(file, number, recent[0], cps.size(), mac != null, new Finding(number + 1,
                        Kind.TRUNCATED, "the file ends after line " + number + " but the checkpoint of " + cp.at()
                        + " records " + cp.lines() + " lines: lines " + (number + 1) + " to " + cp.lines()
                        + " were removed"));
            }
            return new Report(file, number, recent[0], cps.size(), mac != null, null);
        }
    }

    /** Names the change at a broken link, looking at the two lines before it and up to two after. */
    private static Finding classify(Line line, String[] recent, LineReader in, MessageDigest sha256) throws IOException {
        long n = line.number();
        if (n > 1 && line.prev().equals(recent[1])) {
            return new Finding(n - 1, Kind.INSERTED, "line " + (n - 1) + " was inserted: line " + n
                    + " follows line " + (n - 2) + " directly");
        }
        byte[] b1 = in.next();
        Line after = b1 == null ? null : line(n + 1, b1, sha256);
        if (after != null && after.wellFormed() && line.prev().equals(after.hash())) {
            return new Finding(n, Kind.REORDERED, "lines " + n + " and " + (n + 1) + " are in the wrong order");
        }
        if (after != null && after.wellFormed() && after.prev().equals(recent[0])) {
            // line n is out of place but n+1 follows n-1: line n was inserted (or moved here)
            return new Finding(n, Kind.INSERTED, "line " + n + " was inserted (or moved here): line " + (n + 1)
                    + " follows line " + (n - 1) + " directly");
        }
        if (n == 1) {
            return new Finding(1, Kind.DELETED, "line 1 does not start the chain: the first record(s) were deleted"
                    + " (or line 1 was modified)");
        }
        return new Finding(n - 1, Kind.MODIFIED, "line " + n + " does not follow line " + (n - 1) + ": line "
                + (n - 1) + " was modified, or record(s) between lines " + (n - 1) + " and " + n + " were deleted");
    }

    private static Line line(long number, byte[] bytes, MessageDigest sha256) {
        sha256.reset();
        String hash = HEX.formatHex(sha256.digest(bytes));
        try {
            JsonNode node = JSON.readTree(bytes);
            JsonNode prev = node == null ? null : node.get("prev");
            if (prev == null || !prev.isTextual() || prev.asText().length() != 64 || !node.hasNonNull("id")
                    || !node.hasNonNull("action")) {
                return new Line(number, null, hash, false);
            }
            return new Line(number, prev.asText(), hash, true);
        } catch (IOException e) {
            return new Line(number, null, hash, false);
        }
    }

    private static Finding readCheckpoints(Path cpFile, Mac mac, List<Checkpoint> into) throws IOException {
        List<String> raw = Files.readAllLines(cpFile, StandardCharsets.UTF_8);
        long previous = 0;
        for (int i = 0; i < raw.size(); i++) {
            String text = raw.get(i);
            if (text.isBlank()) {
                continue;
            }
            int k = i + 1;
            Checkpoint cp;
            try {
                JsonNode n = JSON.readTree(text);
                boolean v2 = n.hasNonNull("v") && n.get("v").asInt() == 2;
                cp = new Checkpoint(k, n.get("lines").asLong(-1), n.get("head").asText(), n.get("at").asText(),
                        n.hasNonNull("mac") ? n.get("mac").asText() : null,
                        v2 ? n.get("segment").asLong(-1) : -1, v2 ? n.get("kind").asText() : "batch");
            } catch (IOException | NullPointerException e) {
                return new Finding(0, Kind.BAD_CHECKPOINT, "checkpoint " + k + " in " + cpFile.getFileName()
                        + " is not well-formed");
            }
            if (cp.lines() < previous) {
                return new Finding(cp.lines(), Kind.BAD_CHECKPOINT, "checkpoint " + k + " records " + cp.lines()
                        + " lines, fewer than the checkpoint before it (" + previous + "): the file was cut and "
                        + "written again, or checkpoints were reordered");
            }
            if (mac != null) {
                if (cp.mac() == null) {
                    return new Finding(cp.lines(), Kind.BAD_CHECKPOINT, "checkpoint " + k + " (" + cp.at()
                            + ") is not signed, but a key was given");
                }
                mac.reset();
                String input = cp.segment() < 0 ? MAC_CONTEXT + cp.lines() + "|" + cp.head() + "|" + cp.at()
                        : MAC_CONTEXT_V2 + cp.segment() + "|" + cp.lines() + "|" + cp.head() + "|" + cp.at() + "|"
                        + cp.kind();
                byte[] expected = mac.doFinal(input.getBytes(StandardCharsets.UTF_8));
                byte[] actual;
                try {
                    actual = HEX.parseHex(cp.mac());
                } catch (IllegalArgumentException e) {
                    actual = new byte[0];
                }
                if (!MessageDigest.isEqual(expected, actual)) {
                    return new Finding(cp.lines(), Kind.BAD_CHECKPOINT, "checkpoint " + k + " (" + cp.at()
                            + ") fails its MAC: it was forged or altered, or the key is not this vault's");
                }
            }
            previous = cp.lines();
            into.add(cp);
        }
        return null;
    }

    private static Mac mac(SecretKey key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Splits a stream at {@code \n}; remembers whether bytes followed the last newline. */
    private static final class LineReader implements AutoCloseable {
        private final InputStream in;
        private byte[] buf = new byte[4096];
        private boolean torn;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next complete line without its newline, or null at the end. */
        byte[] next() throws IOException {
            int len = 0;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    torn = len > 0;
                    return null;
                }
                if (b == '\n') {
                    return Arrays.copyOf(buf, len);
                }
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, len * 2);
                }
                buf[len++] = (byte) b;
            }
        }

        boolean tornTail() {
            return torn;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
