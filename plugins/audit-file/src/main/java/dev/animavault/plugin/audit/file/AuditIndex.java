package dev.animavault.plugin.audit.file;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory index over the lines of an audit file, in file order: per line its byte offset and
 * length, timestamp, dictionary codes of organization, identity, action, secret key and actor, and the
 * outcome (48 bytes per event, so one million events take about 48 MB). Queries scan it newest first and read only the lines that
 * match. Not thread-safe: the sink guards it with a read-write lock.
 *
 * <p>The entries live off the Java heap, in direct buffers of {@value #CHUNK_SHIFT}-bit chunks. They
 * stay for the sink's lifetime, and on the heap every young collection copied the newest ones from
 * survivor space to survivor space until they were old enough to promote (measured under a read load:
 * about 9 MB copied per young pause, 3-4 ms pauses instead of about 1 ms, paid by every request in
 * flight). Direct memory counts against {@code -XX:MaxDirectMemorySize} (by default the maximum heap
 * size) and is given back when the sink is dropped.
 *
 * <p>At a rollover the sealed segment's index is mapped from its file, and the chunks of the index it
 * replaces are handed to the next open segment's index ({@link #recycle}) instead of being dropped: a
 * dropped direct buffer is freed only once a collection of the old generation finds it dead, which G1
 * under a read load (young collections only) puts off for minutes, so every rollover of the default
 * 64 MiB segment left ~10 MB of direct memory behind (docs/performance.md, "Third pass: memory"). With
 * recycling the open segment's index holds at most the chunks of the largest segment so far.
 */
final class AuditIndex {
    private static final int NONE = -1;
    /** Entries per chunk (2^13). */
    static final int CHUNK_SHIFT = 13;
    private static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final int MASK = CHUNK - 1;
    /** Bytes per entry: two longs and eight ints. */
    static final int ENTRY_BYTES = 2 * Long.BYTES + 8 * Integer.BYTES;
    /** Bytes per chunk (columns one after another), also in a persisted index file. */
    static final int CHUNK_BYTES = CHUNK * ENTRY_BYTES;

    // Each chunk is one direct buffer holding its columns one after another (every value aligned to its
    // size, and a scan over one column reads contiguous memory). Appending never copies entries: a
    // growing flat array copied all of them, ~100 MB at three million events, under the sink's write lock.
    private static final int OFFSETS = 0;
    private static final int SECONDS = OFFSETS + CHUNK * Long.BYTES;
    private static final int LENGTHS = SECONDS + CHUNK * Long.BYTES;
    private static final int NANOS = LENGTHS + CHUNK * Integer.BYTES;
    private static final int ORGANIZATIONS = NANOS + CHUNK * Integer.BYTES;
    private static final int IDENTITIES = ORGANIZATIONS + CHUNK * Integer.BYTES;
    private static final int ACTIONS = IDENTITIES + CHUNK * Integer.BYTES;
    private static final int SECRET_KEYS = ACTIONS + CHUNK * Integer.BYTES;
    private static final int ACTORS = SECRET_KEYS + CHUNK * Integer.BYTES;
    private static final int OUTCOMES = ACTORS + CHUNK * Integer.BYTES;

    private ByteBuffer[] chunks;
    private int size;
    /** Chunks of a replaced index, taken into use again before new ones are allocated ({@link #recycle}). */
    private final java.util.ArrayDeque<ByteBuffer> spares = new java.util.ArrayDeque<>();
    /** Whether {@link #recycle} gave this index's chunks to another one. */
    private boolean recycled;
    /** Whether the chunks are a read-only view (a persisted index file mapped into memory). */
    private final boolean readOnly;

    private final Dictionary organizationCodes;
    private final Dictionary identityCodes;
    private final Dictionary actionCodes;
    private final Dictionary secretKeyCodes;
    private final Dictionary actorCodes;

    /** An empty index that grows as lines are added. */
    AuditIndex() {
        this.chunks = new ByteBuffer[16];
        this.readOnly = false;
        this.organizationCodes = new Dictionary();
        this.identityCodes = new Dictionary();
        this.actionCodes = new Dictionary();
        this.secretKeyCodes = new Dictionary();
        this.actorCodes = new Dictionary();
    }

    /**
     * An index over given chunks (little-endian, {@link #CHUNK_BYTES} each) and dictionaries (values in code
     * order: organizations, identities, actions, secret keys, actors). With {@code copy} the chunks are copied
     * into fresh direct buffers and the index can grow; without, it is a read-only view.
     */
    AuditIndex(ByteBuffer[] chunks, int size, List<List<String>> dictionaries, boolean copy) {
        this(chunks, size, dictionaries, copy, false);
    }

    /** With {@code adopt} (and {@code copy}) the chunks are taken as they are: fresh direct buffers nothing else holds. */
    private AuditIndex(ByteBuffer[] chunks, int size, List<List<String>> dictionaries, boolean copy, boolean adopt) {
        this.size = size;
        this.readOnly = !copy;
        this.chunks = new ByteBuffer[Math.max(16, chunks.length * 2)];
        for (int c = 0; c < chunks.length; c++) {
            if (copy && !adopt) {
                ByteBuffer b = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.put(0, chunks[c], 0, CHUNK_BYTES);
                this.chunks[c] = b;
            } else {
                this.chunks[c] = chunks[c].order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        this.organizationCodes = new Dictionary(dictionaries.get(0));
        this.identityCodes = new Dictionary(dictionaries.get(1));
        this.actionCodes = new Dictionary(dictionaries.get(2));
        this.secretKeyCodes = new Dictionary(dictionaries.get(3));
        this.actorCodes = new Dictionary(dictionaries.get(4));
    }

    /**
     * Decodes the dictionaries that {@link #AuditIndex(ByteBuffer[], int, EncodedValues[], boolean)} deferred on a
     * virtual thread, so that neither the start nor the first write or query after it waits for them (whoever needs
     * one first waits for, or does, its decoding). A failure is left to that use.
     */
    void decodeInBackground() {
        Thread.ofVirtual().name("audit-file-dictionaries").start(new Runnable() {
            @Override
            public void run() {
                try {
                    dictionaries();
                } catch (RuntimeException e) {
                    System.getLogger(AuditIndex.class.getName()).log(System.Logger.Level.DEBUG,
                            "audit index dictionaries: {0}", e.toString());
                }
            }
        });
    }

    /** The values of one dictionary, in code order, decoded when the dictionary is first used. */
    interface EncodedValues {
        List<String> decode();
    }

    /**
     * Like {@link #AuditIndex(ByteBuffer[], int, List, boolean)}, with the five dictionaries decoded at their first
     * use (a lookup, a new value, a query) instead of now: a persisted index's dictionaries hold every distinct
     * secret key of the segment (10^4-10^5 strings), which a start need not decode before it serves.
     */
    AuditIndex(ByteBuffer[] chunks, int size, EncodedValues[] dictionaries, boolean copy) {
        this(chunks, size, dictionaries, copy, false);
    }

    /**
     * A growable index that takes {@code chunks} (fresh direct buffers of {@link #CHUNK_BYTES}, little-endian, that
     * nothing else holds) as its own instead of copying them, with the dictionaries decoded at first use.
     */
    static AuditIndex adopting(ByteBuffer[] chunks, int size, EncodedValues[] dictionaries) {
        return new AuditIndex(chunks, size, dictionaries, true, true);
    }

    private AuditIndex(ByteBuffer[] chunks, int size, EncodedValues[] dictionaries, boolean copy, boolean adopt) {
        this(chunks, size, List.of(List.of(), List.of(), List.of(), List.of(), List.of()), copy, adopt);
        organizationCodes.defer(dictionaries[0]);
        identityCodes.defer(dictionaries[1]);
        actionCodes.defer(dictionaries[2]);
        secretKeyCodes.defer(dictionaries[3]);
        actorCodes.defer(dictionaries[4]);
    }

    /** A recycled chunk cleared (a persisted index's last chunk is zero-padded past its last entry). */
    private static ByteBuffer zeroed(ByteBuffer chunk) {
        for (int i = 0; i < CHUNK_BYTES; i += Long.BYTES) {
            chunk.putLong(i, 0L);
        }
        return chunk;
    }

    /**
     * Takes the chunks of {@code replaced}, a growable index nothing reads any more (the open segment's,
     * once a rollover has swapped in the sealed, mapped one), to fill before allocating new ones; the
     * replaced index is left empty ({@link #recycled()}). Both indexes must be held exclusively (the
     * sink's index write lock).
     */
    void recycle(AuditIndex replaced) {
        if (replaced == this || replaced.readOnly || readOnly) {
            return;
        }
        int used = (replaced.size + CHUNK - 1) >>> CHUNK_SHIFT;
        for (int c = 0; c < used; c++) {
            spares.add(replaced.chunks[c]);
        }
        spares.addAll(replaced.spares);
        replaced.spares.clear();
        replaced.chunks = new ByteBuffer[0];
        replaced.size = 0;
        replaced.recycled = true;
    }

    /** Whether this index's chunks went to another one ({@link #recycle}): it is empty and must not be used. */
    boolean recycled() {
        return recycled;
    }

    /** The chunks in use ({@code ceil(size / CHUNK)}), for persisting. */
    ByteBuffer[] chunksInUse() {
        return Arrays.copyOf(chunks, (size + CHUNK - 1) >>> CHUNK_SHIFT);
    }

    /** The dictionaries' values in code order (organizations, identities, actions, secret keys, actors). */
    List<List<String>> dictionaries() {
        return List.of(organizationCodes.values(), identityCodes.values(), actionCodes.values(),
                secretKeyCodes.values(), actorCodes.values());
    }

    /** The first byte after the last indexed line (its offset plus length plus the newline), 0 when empty. */
    long endOffset() {
        return size == 0 ? 0 : offset(size - 1) + length(size - 1) + 1;
    }

    /** The epoch second of the first indexed event, or empty when there is none. */
    java.util.OptionalLong firstSecond() {
        return size == 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(longAt(SECONDS, 0));
    }

    /** Byte offset of a line. */
    long offsetOf(int ordinal) {
        return offset(ordinal);
    }

    /** Length of a line, without its newline. */
    int lengthOf(int ordinal) {
        return length(ordinal);
    }

    /** The matches of one scan: ordinals newest first. */
    record Matches(int[] ordinals, long[] offsets, int[] lengths, int count, boolean more) {
    }

    int size() {
        return size;
    }

    /** Appends the line that holds the event. */
    void add(long offset, int length, AuditEvent e) {
        put(offset, length, e.timestamp().getEpochSecond(), e.timestamp().getNano(), e.organizationId(),
                e.identityId(), e.action(), e.secretKey(), e.actor(), e.outcome().ordinal());
    }

    /**
     * Appends entry {@code i} of another index (its dictionary codes translated to this index's): how the
     * lines appended while the open segment was being re-indexed in the background join the rebuilt index.
     */
    void addFrom(AuditIndex other, int i) {
        put(other.offset(i), other.length(i), other.longAt(SECONDS, i), other.intAt(NANOS, i),
                other.organizationCodes.value(other.intAt(ORGANIZATIONS, i)),
                other.identityCodes.value(other.intAt(IDENTITIES, i)), other.actionCodes.value(other.intAt(ACTIONS, i)),
                other.secretKeyCodes.value(other.intAt(SECRET_KEYS, i)), other.actorCodes.value(other.intAt(ACTORS, i)),
                other.intAt(OUTCOMES, i));
    }

    private void put(long offset, int length, long seconds, int nanos, String organization, String identity,
                     String action, String secretKey, String actor, int outcome) {
        if (readOnly) {
            throw new IllegalStateException("a persisted audit index is read-only");
        }
        int c = size >>> CHUNK_SHIFT;
        int k = size & MASK;
        if (k == 0) {
            if (c == chunks.length) {
                chunks = Arrays.copyOf(chunks, c * 2);
            }
            ByteBuffer spare = spares.poll();
            chunks[c] = spare != null ? zeroed(spare)
                    : ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer b = chunks[c];
        b.putLong(OFFSETS + k * Long.BYTES, offset);
        b.putLong(SECONDS + k * Long.BYTES, seconds);
        b.putInt(LENGTHS + k * Integer.BYTES, length);
        b.putInt(NANOS + k * Integer.BYTES, nanos);
        b.putInt(ORGANIZATIONS + k * Integer.BYTES, organizationCodes.code(organization));
        b.putInt(IDENTITIES + k * Integer.BYTES, identityCodes.code(identity));
        b.putInt(ACTIONS + k * Integer.BYTES, actionCodes.code(action));
        b.putInt(SECRET_KEYS + k * Integer.BYTES, secretKeyCodes.code(secretKey));
        b.putInt(ACTORS + k * Integer.BYTES, actorCodes.code(actor));
        b.putInt(OUTCOMES + k * Integer.BYTES, outcome);
        size++;
    }

    private long longAt(int column, int i) {
        return chunks[i >>> CHUNK_SHIFT].getLong(column + (i & MASK) * Long.BYTES);
    }

    private int intAt(int column, int i) {
        return chunks[i >>> CHUNK_SHIFT].getInt(column + (i & MASK) * Integer.BYTES);
    }

    private long offset(int i) {
        return longAt(OFFSETS, i);
    }

    private int length(int i) {
        return intAt(LENGTHS, i);
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
        Integer secretKey = q.secretKey().isPresent() ? secretKeyCodes.find(q.secretKey().get()) : Integer.valueOf(NONE);
        Integer actor = q.actor().isPresent() ? actorCodes.find(q.actor().get()) : Integer.valueOf(NONE);
        int[] found = new int[Math.max(0, limit)];
        if (org == null || identity == null || action == null || secretKey == null || actor == null) {
            return new Matches(found, new long[0], new int[0], 0, false);
        }
        int orgCode = org;
        int identityCode = identity;
        int actionCode = action;
        boolean byIdentity = q.identityId().isPresent();
        boolean byAction = q.action().isPresent();
        int secretKeyCode = secretKey;
        int actorCode = actor;
        boolean bySecretKey = q.secretKey().isPresent();
        boolean byActor = q.actor().isPresent();
        int outcomeCode = q.outcome().map(Enum::ordinal).orElse(NONE);
        Instant from = q.from().orElse(null);
        Instant to = q.to().orElse(null);
        int count = 0;
        boolean more = false;
        for (int i = Math.min(start, size - 1); i >= 0; i--) {
            if (intAt(ORGANIZATIONS, i) != orgCode
                    || byIdentity && intAt(IDENTITIES, i) != identityCode
                    || byAction && intAt(ACTIONS, i) != actionCode
                    || bySecretKey && intAt(SECRET_KEYS, i) != secretKeyCode
                    || byActor && intAt(ACTORS, i) != actorCode
                    || outcomeCode != NONE && intAt(OUTCOMES, i) != outcomeCode
                    || from != null && compare(i, from) < 0
                    || to != null && compare(i, to) >= 0) {
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
        private Map<String, Integer> codes = new HashMap<>();
        private List<String> values = new ArrayList<>();
        private String last;
        private int lastCode = NONE;
        /** Values still to decode before the first use (set only while the index is constructed), or null. */
        private EncodedValues pending;
        /** False while {@link #pending} is to be decoded; its write publishes the decoded maps. */
        private volatile boolean ready = true;

        Dictionary() {
        }

        Dictionary(List<String> values) {
            for (String v : values) {
                codes.put(v, this.values.size());
                this.values.add(v);
            }
        }

        /** Leaves the values to decode at the first use (the dictionary is empty and not yet shared). */
        void defer(EncodedValues encoded) {
            pending = encoded;
            ready = false;
        }

        private void ensure() {
            if (!ready) {
                decode();
            }
        }

        private synchronized void decode() {
            if (ready) {
                return;
            }
            List<String> decoded = pending.decode();
            Map<String, Integer> map = HashMap.newHashMap(decoded.size());
            List<String> list = new ArrayList<>(decoded.size());
            for (String v : decoded) {
                map.put(v, list.size());
                list.add(v);
            }
            codes = map;
            values = list;
            pending = null;
            ready = true;
        }

        List<String> values() {
            ensure();
            return values;
        }

        int code(String value) {
            if (value == null) {
                return NONE;
            }
            ensure();
            if (value.equals(last)) {
                return lastCode;
            }
            Integer code = codes.get(value);
            if (code == null) {
                code = codes.size();
                codes.put(value, code);
                values.add(value);
            }
            last = value;
            lastCode = code;
            return code;
        }

        /** The value of a code, null for {@code NONE}. */
        String value(int code) {
            if (code == NONE) {
                return null;
            }
            ensure();
            return values.get(code);
        }

        /** The value's code, or null if it never appeared. */
        Integer find(String value) {
            ensure();
            return codes.get(value);
        }
    }

    private int compare(int i, Instant t) {
        int c = Long.compare(longAt(SECONDS, i), t.getEpochSecond());
        return c != 0 ? c : Integer.compare(intAt(NANOS, i), t.getNano());
    }
}
