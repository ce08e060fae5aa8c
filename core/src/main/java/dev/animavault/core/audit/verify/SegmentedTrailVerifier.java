package dev.animavault.core.audit.verify;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.SecretKey;

/**
 * Verifies a file sink's trail made of segments: {@code <stem>.000001<ext>, <stem>.000002<ext>, ...} sealed
 * by rollover, then the open {@code <stem><ext>}. Each segment is verified on its own
 * ({@link AuditTrailVerifier#verifySegment}), then the links: the first segment starts the chain (its first
 * line names 64 zeros), every later segment's first line names the previous segment's last line, numbers
 * run 1, 2, 3 without a gap, and a segment whose last checkpoint says {@code rollover} is followed by
 * another (so the deletion of the newest segments is caught too). With {@code requireClose}, the trail must
 * end with the {@code close} checkpoint of a clean shutdown covering every line. Stateless; thread-safe.
 */
public final class SegmentedTrailVerifier {
    private static final Pattern SEALED = Pattern.compile("(.+)\\.(\\d{6,18})(\\.jsonl)");
    private static final Pattern OPEN = Pattern.compile("(.+)(\\.jsonl)");

    private SegmentedTrailVerifier() {
    }

    /** One segment file of a trail: its number, or 0 for the open segment (which comes last). */
    public record SegmentFile(long number, Path file) {
    }

    /**
     * The outcome for a trail.
     *
     * @param name     the trail (its open segment's path, or the directory and stem)
     * @param segments segments verified
     * @param lines    records across all segments (up to the problem)
     * @param head     hash of the last record
     * @param checkpoints checkpoints across all segments
     * @param macsChecked whether signatures were checked
     * @param closed   whether the trail ends with a close checkpoint covering every record
     * @param file     the file of the problem, or null
     * @param problem  the first problem, or null when the trail verifies
     */
    public record TrailReport(String name, int segments, long lines, String head, int checkpoints,
                              boolean macsChecked, boolean closed, Path file,
                              AuditTrailVerifier.Finding problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /** Groups the {@code *.jsonl} files of a directory into trails, each in segment order. */
    public static Map<String, List<SegmentFile>> trails(Path dir) throws IOException {
        Map<String, List<SegmentFile>> out = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p)).sorted().toList();
        }
        for (Path p : files) {
            String name = p.getFileName().toString();
            Matcher m = SEALED.matcher(name);
            SegmentFile f;
            String stem;
            if (m.matches()) {
                stem = m.group(1) + m.group(3);
                f = new SegmentFile(Long.parseLong(m.group(2)), p);
            } else {
                Matcher o = OPEN.matcher(name);
                o.matches();
                stem = o.group(1) + o.group(2);
                f = new SegmentFile(0, p);
            }
            out.computeIfAbsent(stem, k -> new ArrayList<>()).add(f);
        }
        for (List<SegmentFile> l : out.values()) {
            l.sort((a, b) -> a.number() == 0 ? 1 : b.number() == 0 ? -1 : Long.compare(a.number(), b.number()));
        }
        return out;
    }

    /** Verifies the segments of one trail, in the given order. */
    public static TrailReport verify(String name, List<SegmentFile> segments, SecretKey key, boolean requireClose)
            throws IOException {
        requireNonNull(segments, "segments is null");
        List<AuditTrailVerifier.SegmentResult> results = new ArrayList<>(segments.size());
        Map<String, Integer> headOf = new java.util.HashMap<>(); // a segment's last line's hash -> the segment
        for (int i = 0; i < segments.size(); i++) {
            AuditTrailVerifier.SegmentResult r = AuditTrailVerifier.verifySegment(segments.get(i).file(), key, null);
            results.add(r);
            if (r.report().lines() > 0) {
                headOf.putIfAbsent(r.report().head(), i);
            }
        }
        String head = AuditTrailVerifier.GENESIS;
        long lines = 0;
        int checkpoints = 0;
        boolean macs = key != null;
        long expectedNumber = 1;
        AuditTrailVerifier.SegmentResult last = null;
        for (int i = 0; i < segments.size(); i++) {
            SegmentFile sf = segments.get(i);
            AuditTrailVerifier.SegmentResult r = results.get(i);
            AuditTrailVerifier.Report rep = r.report();
            checkpoints += rep.checkpoints();
            if (sf.number() > 0 && sf.number() != expectedNumber) {
                String what = sf.number() > expectedNumber
                        ? "segment(s) " + expectedNumber + (sf.number() - 1 > expectedNumber ? " to " + (sf.number() - 1) : "")
                        + " of the trail are missing (deleted)"
                        : "segment number " + sf.number() + " repeats or goes backwards";
                return new TrailReport(name, i, lines, head, checkpoints, macs, false, sf.file(),
                        new AuditTrailVerifier.Finding(1, AuditTrailVerifier.Kind.DELETED, what));
            }
            if (rep.lines() > 0 && !r.firstPrev().equals(head)) {
                Integer j = headOf.get(r.firstPrev());
                AuditTrailVerifier.Finding f;
                if (j != null && j != i - 1) {
                    f = new AuditTrailVerifier.Finding(1, AuditTrailVerifier.Kind.REORDERED, "this segment continues "
                            + segments.get(j).file().getFileName() + ", not "
                            + (i == 0 ? "the start of the chain" : segments.get(i - 1).file().getFileName())
                            + ": segments were reordered (renamed)");
                } else if (i == 0) {
                    f = new AuditTrailVerifier.Finding(1, AuditTrailVerifier.Kind.DELETED, "line 1 does not start the"
                            + " chain: the trail's first segment(s) or record(s) were deleted");
                } else {
                    f = new AuditTrailVerifier.Finding(1, AuditTrailVerifier.Kind.DELETED, "line 1 does not follow the"
                            + " last line of " + segments.get(i - 1).file().getFileName() + ": records or a segment"
                            + " between them were deleted, or that segment was cut or replaced");
                }
                return new TrailReport(name, i, lines, head, checkpoints, macs, false, sf.file(), f);
            }
            if (!rep.ok()) {
                return new TrailReport(name, i, lines + rep.lines(), rep.head(), checkpoints, macs, false, sf.file(),
                        rep.problem());
            }
            if (rep.lines() > 0) {
                head = rep.head();
            }
            lines += rep.lines();
            if (sf.number() > 0) {
                expectedNumber = sf.number() + 1;
            }
            last = r;
        }
        if (last != null && "rollover".equals(last.lastKind())) {
            SegmentFile lf = segments.get(segments.size() - 1);
            return new TrailReport(name, segments.size(), lines, head, checkpoints, macs, false, lf.file(),
                    new AuditTrailVerifier.Finding(last.report().lines() + 1, AuditTrailVerifier.Kind.TRUNCATED,
                            "this segment was sealed by a rollover, but the segment after it is missing (deleted)"));
        }
        boolean closed = last != null && "close".equals(last.lastKind()) && last.lastCovered() == last.report().lines();
        if (requireClose && !closed && last != null) {
            SegmentFile lf = segments.get(segments.size() - 1);
            return new TrailReport(name, segments.size(), lines, head, checkpoints, macs, false, lf.file(),
                    new AuditTrailVerifier.Finding(Math.min(last.lastCovered(), last.report().lines()) + 1,
                            AuditTrailVerifier.Kind.TRUNCATED, "the trail does not end with the close checkpoint of a"
                            + " clean shutdown covering every line (records after line " + last.lastCovered()
                            + " and the checkpoints naming them may have been cut, or the vault is running or"
                            + " crashed)"));
        }
        return new TrailReport(name, segments.size(), lines, head, checkpoints, macs, closed, null, null);
    }
}
