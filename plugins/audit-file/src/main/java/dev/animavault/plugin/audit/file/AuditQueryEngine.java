package dev.animavault.plugin.audit.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * Answers audit queries over the segments of a trail, newest first: the open segment's in-memory index
 * (under the sink's index read lock), then the sealed segments' mapped indexes, newest to oldest. A
 * segment whose dictionaries never saw a filter value is skipped without a scan. Only matching lines
 * are read, contiguous runs in one read.
 *
 * <p>Cursors: base64url of {@code o2:<segment>:<offset>}, the last returned line; valid across appends,
 * rollovers and restarts. {@code o1:<offset>} (before segments) means the open segment. Thread-safe.
 */
final class AuditQueryEngine {
    private static final String CURSOR_V1 = "o1:";
    private static final String CURSOR_V2 = "o2:";
    private static final Base64.Encoder CURSOR_ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder CURSOR_DECODER = Base64.getUrlDecoder();

    private final AuditLineDecoder decoder = new AuditLineDecoder();
    private final String name;

    /** @param name what error messages call the trail (its path) */
    AuditQueryEngine(String name) {
        this.name = name;
    }

    private record Hit(Segment segment, AuditIndex.Matches matches) {
    }

    /**
     * @param segments   newest first; the first is the open segment
     * @param activeLock the read lock guarding the open segment's index and a just-sealed one still in memory
     */
    Page<AuditEvent> query(AuditQuery query, List<Segment> segments, Lock activeLock) {
        int limit = query.page().limit();
        int from = 0;
        int start = Integer.MAX_VALUE;
        if (query.page().cursor().isPresent()) {
            long[] c = decodeCursor(query.page().cursor().get(), segments.get(0).number());
            from = -1;
            for (int s = 0; s < segments.size(); s++) {
                if (segments.get(s).number() == c[0]) {
                    from = s;
                    break;
                }
            }
            if (from < 0) {
                throw badCursor();
            }
            Segment at = segments.get(from);
            int ordinal = withLock(from == 0 || at.indexInMemory() ? activeLock : null,
                    () -> at.index().ordinalAt(c[1]), at);
            if (ordinal < 0) {
                throw badCursor();
            }
            start = ordinal - 1;
        }
        List<Hit> hits = new ArrayList<>();
        int found = 0;
        boolean more = false;
        for (int s = from; s < segments.size() && !more; s++) {
            Segment segment = segments.get(s);
            int first = s == from ? start : Integer.MAX_VALUE;
            if (first < 0) {
                continue;
            }
            int want = limit - found;
            AuditIndex.Matches m = withLock(s == 0 || segment.indexInMemory() ? activeLock : null,
                    () -> segment.index().find(query, Math.min(first, segment.index().size() - 1), want), segment);
            if (m.count() > 0) {
                hits.add(new Hit(segment, m));
                found += m.count();
            }
            more = m.more();
        }
        List<AuditEvent> items = new ArrayList<>(found);
        Optional<String> next = Optional.empty();
        for (Hit h : hits) {
            read(h.segment(), h.matches(), query, items);
        }
        if (more && !hits.isEmpty()) {
            Hit last = hits.get(hits.size() - 1);
            AuditIndex.Matches m = last.matches();
            next = Optional.of(encodeCursor(last.segment().number(), m.offsets()[m.count() - 1]));
        }
        return new Page<>(items, next);
    }

    private static <T> T withLock(Lock lock, Supplier<T> body, Segment segment) {
        if (lock == null) {
            return body.get();
        }
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /** Reads the matched lines; consecutive ordinals are adjacent in the file and read in one go. */
    private void read(Segment segment, AuditIndex.Matches m, AuditQuery query, List<AuditEvent> out) {
        try {
            int k = 0;
            while (k < m.count()) {
                int runEnd = k;
                while (runEnd + 1 < m.count() && m.ordinals()[runEnd + 1] == m.ordinals()[runEnd] - 1) {
                    runEnd++;
                }
                // Newest first: the run's last match is the lowest offset.
                long from = m.offsets()[runEnd];
                long to = m.offsets()[k] + m.lengths()[k];
                byte[] span = segment.read(from, Math.toIntExact(to - from));
                for (int j = k; j <= runEnd; j++) {
                    int rel = (int) (m.offsets()[j] - from);
                    AuditEvent e = decodeStored(span, rel, m.lengths()[j], segment, m.offsets()[j]);
                    if (!query.matches(e)) {
                        // Defence in depth: never hand out another organization's event, even if the
                        // file was changed underneath the index.
                        throw new VaultException(ErrorCode.INTEGRITY_ERROR, "audit file " + segment.file()
                                + " changed on disk at byte " + m.offsets()[j]);
                    }
                    out.add(e);
                }
                k = runEnd + 1;
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit file " + segment.file()
                    + " could not be read: " + e.getClass().getSimpleName(), e);
        }
    }

    private AuditEvent decodeStored(byte[] buf, int start, int length, Segment segment, long offset) {
        try {
            return decoder.decode(buf, start, length).event();
        } catch (AuditLineCodec.MalformedLineException e) {
            // The line parsed when it was indexed: the file changed underneath us.
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "audit file " + segment.file()
                    + " changed on disk at byte " + offset + " (" + e.getMessage() + ")");
        }
    }

    static String encodeCursor(long segment, long offset) {
        return CURSOR_ENCODER.encodeToString((CURSOR_V2 + segment + ":" + offset).getBytes(StandardCharsets.US_ASCII));
    }

    /** {segment, offset}; a version-1 cursor names the open segment. */
    private static long[] decodeCursor(String cursor, long activeSegment) {
        try {
            String text = new String(CURSOR_DECODER.decode(cursor), StandardCharsets.US_ASCII);
            if (text.startsWith(CURSOR_V1)) {
                return new long[] {activeSegment, Long.parseLong(text.substring(CURSOR_V1.length()))};
            }
            if (text.startsWith(CURSOR_V2)) {
                String[] parts = text.substring(CURSOR_V2.length()).split(":", -1);
                if (parts.length == 2) {
                    return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
                }
            }
            throw badCursor();
        } catch (IllegalArgumentException e) {
            throw badCursor();
        }
    }

    private static VaultException badCursor() {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "cursor is not valid for this audit log");
    }

    @Override
    public String toString() {
        return "AuditQueryEngine[" + name + "]";
    }
}
