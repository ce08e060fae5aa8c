package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An in-memory index over the lines of an audit file, in file order: per line its byte offset and
 * length, timestamp, and dictionary codes of organization, identity and action (about 36 bytes per
 * event, so one million events take about 36 MB). Queries scan it newest first and read only the lines
 * that match. Not thread-safe: the sink guards it with a read-write lock.
 */
final class AuditIndex {
    private static final int NONE = -1;
    /** Entries per chunk (2^13): each column's chunk is at most 64 KiB, never a humongous object. */
    static final int CHUNK_SHIFT = 13;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int MASK = CHUNK - 1;

    // Columns in fixed-size chunks: appending never copies the entries (a growing flat array copied all
    // of them, ~100 MB at three million events, under the sink's write lock, stalling every audited request).
    private long[][] offsets = new long[16][];
    private int[][] lengths = new int[16][];
    private long[][] seconds = new long[16][];
    private int[][] nanos = new int[16][];
    private int[][] organizations = new int[16][];
    private int[][] identities = new int[16][];
    private int[][] actions = new int[16][];
    private int size;

    private final Dictionary organizationCodes = new Dictionary();
    private final Dictionary identityCodes = new Dictionary();
    private final Dictionary actionCodes = new Dictionary();

    /** The matches of one scan: ordinals newest first. */
    record Matches(int[] ordinals, long[] offsets, int[] lengths, int count, boolean more) {
    }

    int size() {
        return size;
    }

    /** Appends the line that holds the event. */
    void add(long offset, int length, AuditEvent e) {
        int c = size >>> CHUNK_SHIFT;
        int k = size & MASK;
        if (k == 0) {
            if (c == offsets.length) {
                int n = c * 2;
                offsets = Arrays.copyOf(offsets, n);
                lengths = Arrays.copyOf(lengths, n);
                seconds = Arrays.copyOf(seconds, n);
                nanos = Arrays.copyOf(nanos, n);
                organizations = Arrays.copyOf(organizations, n);
                identities = Arrays.copyOf(identities, n);
                actions = Arrays.copyOf(actions, n);
            }
            offsets[c] = new long[CHUNK];
            lengths[c] = new int[CHUNK];
            seconds[c] = new long[CHUNK];
            nanos[c] = new int[CHUNK];
            organizations[c] = new int[CHUNK];
            identities[c] = new int[CHUNK];
            actions[c] = new int[CHUNK];
        }
        offsets[c][k] = offset;
        lengths[c][k] = length;
        seconds[c][k] = e.timestamp().getEpochSecond();
        nanos[c][k] = e.timestamp().getNano();
        organizations[c][k] = organizationCodes.code(e.organizationId());
        identities[c][k] = identityCodes.code(e.identityId());
        actions[c][k] = actionCodes.code(e.action());
        size++;
    }

    private long offset(int i) {
        return offsets[i >>> CHUNK_SHIFT][i & MASK];
    }

    private int length(int i) {
        return lengths[i >>> CHUNK_SHIFT][i & MASK];
    }

    /** The ordinal of the line starting at the offset, or -1 if no line starts there. */
    int ordinalAt(long offset) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long v = offset(mid);
            if (v < offset) {
                lo = mid + 1;
            } else if (v > offset) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /**
     * Finds up to {@code limit} lines matching the query's filters, scanning from ordinal {@code start}
     * toward older lines, and whether at least one more match exists beyond them.
     */
    Matches find(AuditQuery q, int start, int limit) {
        Integer org = organizationCodes.find(q.organizationId());
        // A filter value never seen yet has no code: nothing can match it.
        Integer identity = q.identityId().isPresent() ? identityCodes.find(q.identityId().get()) : Integer.valueOf(NONE);
        Integer action = q.action().isPresent() ? actionCodes.find(q.action().get()) : Integer.valueOf(NONE);
        int[] found = new int[limit];
        if (org == null || identity == null || action == null) {
            return new Matches(found, new long[0], new int[0], 0, false);
        }
        boolean byIdentity = q.identityId().isPresent();
        boolean byAction = q.action().isPresent();
        Instant from = q.from().orElse(null);
        Instant to = q.to().orElse(null);
        int count = 0;
        boolean more = false;
        for (int i = Math.min(start, size - 1); i >= 0; i--) {
            int c = i >>> CHUNK_SHIFT;
            int k = i & MASK;
            if (organizations[c][k] != org
                    || byIdentity && identities[c][k] != identity
                    || byAction && actions[c][k] != action
                    || from != null && compare(c, k, from) < 0
                    || to != null && compare(c, k, to) >= 0) {
                continue;
            }
            if (count == limit) {
                more = true;
                break;
            }
            found[count++] = i;
        }
        long[] foundOffsets = new long[count];
        int[] foundLengths = new int[count];
        for (int k = 0; k < count; k++) {
            foundOffsets[k] = offset(found[k]);
            foundLengths[k] = length(found[k]);
        }
        return new Matches(found, foundOffsets, foundLengths, count, more);
    }

    /**
     * Codes for the distinct values of one field, in order of first appearance. Consecutive events mostly
     * repeat the previous value (the same organization, action, identity), so the last value is checked
     * before the map.
     */
    private static final class Dictionary {
        private final Map<String, Integer> codes = new HashMap<>();
        private String last;
        private int lastCode = NONE;

        int code(String value) {
            if (value == null) {
                return NONE;
            }
            if (value.equals(last)) {
                return lastCode;
            }
            Integer code = codes.get(value);
            if (code == null) {
                code = codes.size();
                codes.put(value, code);
            }
            last = value;
            lastCode = code;
            return code;
        }

        /** The value's code, or null if it never appeared. */
        Integer find(String value) {
            return codes.get(value);
        }
    }

    private int compare(int chunk, int k, Instant t) {
        int c = Long.compare(seconds[chunk][k], t.getEpochSecond());
        return c != 0 ? c : Integer.compare(nanos[chunk][k], t.getNano());
    }
}
