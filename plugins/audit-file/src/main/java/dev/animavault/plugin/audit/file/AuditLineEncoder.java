package dev.animavault.plugin.audit.file;

import static dev.animavault.plugin.audit.file.AuditLineCodec.ACTION;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ACTOR;
import static dev.animavault.plugin.audit.file.AuditLineCodec.DETAILS;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ERROR_CODE;
import static dev.animavault.plugin.audit.file.AuditLineCodec.HASH_BYTES;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ID;
import static dev.animavault.plugin.audit.file.AuditLineCodec.IDENTITY_ID;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ORGANIZATION_ID;
import static dev.animavault.plugin.audit.file.AuditLineCodec.OUTCOME;
import static dev.animavault.plugin.audit.file.AuditLineCodec.PREV;
import static dev.animavault.plugin.audit.file.AuditLineCodec.REMOTE_ADDRESS;
import static dev.animavault.plugin.audit.file.AuditLineCodec.REQUEST_ID;
import static dev.animavault.plugin.audit.file.AuditLineCodec.SECRET_KEY;
import static dev.animavault.plugin.audit.file.AuditLineCodec.TIMESTAMP;
import static dev.animavault.plugin.audit.file.AuditLineCodec.VERSION;

import dev.animavault.spi.Timestamps;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes an {@link AuditEvent} as one line of {@link AuditLineCodec}'s format (no newline), hand-written,
 * straight into the batch's bytes (no generator, no intermediate strings): the field prefixes are
 * pre-encoded, the strings escaped by {@link AuditJsonBytes}. The timestamp's whole second is formatted
 * once per second (cached), then the fraction appended. Thread-safe.
 */
final class AuditLineEncoder {
    private static final byte[] ID_PREFIX = AuditJsonBytes.ascii("{\"" + ID + "\":\"");
    private static final byte[] TIMESTAMP_PREFIX = field(TIMESTAMP);
    private static final byte[] ACTION_PREFIX = field(ACTION);
    private static final byte[] ORGANIZATION_ID_PREFIX = field(ORGANIZATION_ID);
    private static final byte[] IDENTITY_ID_PREFIX = field(IDENTITY_ID);
    private static final byte[] SECRET_KEY_PREFIX = field(SECRET_KEY);
    private static final byte[] VERSION_PREFIX = AuditJsonBytes.ascii(",\"" + VERSION + "\":");
    private static final byte[] ACTOR_PREFIX = field(ACTOR);
    private static final byte[] REQUEST_ID_PREFIX = field(REQUEST_ID);
    private static final byte[] REMOTE_ADDRESS_PREFIX = field(REMOTE_ADDRESS);
    private static final byte[] ERROR_CODE_PREFIX = field(ERROR_CODE);
    private static final byte[] DETAILS_PREFIX = AuditJsonBytes.ascii(",\"" + DETAILS + "\":{");
    private static final byte[] PREV_PREFIX = field(PREV);
    /** {@code ,"outcome":"SUCCESS"} and so on, by ordinal. */
    private static final byte[][] OUTCOMES = outcomes();
    private static final byte[] KEY_OPEN = {'"'};
    private static final byte[] VALUE_OPEN = {':', '"'};
    /** At least the longest prefix above (19 bytes) plus a closing quote. */
    private static final int MAX_PREFIX = 24;
    /** At least all the prefixes, quotes, a version, {@code prev} and the closing brace of one line. */
    private static final int MAX_FIXED = 512;
    private static final byte[] HEX_LOWER = AuditJsonBytes.ascii("0123456789abcdef");

    /** A whole second and its text: immutable, so the racy single-entry cache below is safe. */
    private record Second(long epochSecond, byte[] prefix) {
    }

    /** The last second encoded (any thread; a stale or lost update only costs a reformat). */
    private Second lastSecond = new Second(Long.MIN_VALUE, new byte[0]);

    private static byte[][] outcomes() { // a loop, not a stream's lambdas: the sink's open runs it (issue 19)
        AuditOutcome[] values = AuditOutcome.values();
        byte[][] out = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = AuditJsonBytes.ascii(",\"" + OUTCOME + "\":\"" + values[i].name() + "\"");
        }
        return out;
    }

    /** {@code ,"name":"} */
    private static byte[] field(String name) {
        return AuditJsonBytes.ascii(",\"" + name + "\":\"");
    }

    /**
     * Appends the event's JSON object (no newline), ending with {@code prev}: the lower-case hex of
     * {@code prevHash} (32 bytes: the previous line's SHA-256, all zeros for the first line).
     */
    void encode(AuditEvent e, byte[] prevHash, LineBuffer out) {
        String id = e.id();
        Instant timestamp = e.timestamp();
        byte[] second = secondPrefix(timestamp.getEpochSecond());
        String action = e.action();
        String organizationId = e.organizationId();
        String identityId = e.identityId();
        String secretKey = e.secretKey();
        Integer version = e.version();
        String actor = e.actor();
        String requestId = e.requestId();
        String remoteAddress = e.remoteAddress();
        String errorCode = e.errorCode();
        // Room for everything but the details: every char escaped to six bytes at worst.
        long chars = (long) id.length() + action.length() + length(organizationId) + length(identityId)
                + length(secretKey) + length(actor) + length(requestId) + length(remoteAddress) + length(errorCode);
        byte[] b = out.ensure(MAX_FIXED + second.length + 6 * chars);
        int p = out.size();
        p = AuditJsonBytes.string(b, p, ID_PREFIX, id);
        p = fraction(b, AuditJsonBytes.prefix(b, AuditJsonBytes.prefix(b, p, TIMESTAMP_PREFIX), second),
                timestamp.getNano());
        p = AuditJsonBytes.string(b, p, ACTION_PREFIX, action);
        p = AuditJsonBytes.prefix(b, p, OUTCOMES[e.outcome().ordinal()]);
        if (organizationId != null) {
            p = AuditJsonBytes.string(b, p, ORGANIZATION_ID_PREFIX, organizationId);
        }
        if (identityId != null) {
            p = AuditJsonBytes.string(b, p, IDENTITY_ID_PREFIX, identityId);
        }
        if (secretKey != null) {
            p = AuditJsonBytes.string(b, p, SECRET_KEY_PREFIX, secretKey);
        }
        if (version != null) {
            p = AuditJsonBytes.integer(b, AuditJsonBytes.prefix(b, p, VERSION_PREFIX), version);
        }
        if (actor != null) {
            p = AuditJsonBytes.string(b, p, ACTOR_PREFIX, actor);
        }
        if (requestId != null) {
            p = AuditJsonBytes.string(b, p, REQUEST_ID_PREFIX, requestId);
        }
        if (remoteAddress != null) {
            p = AuditJsonBytes.string(b, p, REMOTE_ADDRESS_PREFIX, remoteAddress);
        }
        if (errorCode != null) {
            p = AuditJsonBytes.string(b, p, ERROR_CODE_PREFIX, errorCode);
        }
        if (!e.details().isEmpty()) {
            out.size(p);
            details(out, e.details());
            b = out.ensure(PREV_PREFIX.length + 2 * HASH_BYTES + 2);
            p = out.size();
        }
        p = AuditJsonBytes.prefix(b, p, PREV_PREFIX);
        for (int i = 0; i < HASH_BYTES; i++) {
            int v = prevHash[i];
            b[p++] = HEX_LOWER[(v >> 4) & 0xF];
            b[p++] = HEX_LOWER[v & 0xF];
        }
        b[p++] = '"';
        b[p++] = '}';
        out.size(p);
    }

    /**
     * The timestamp up to its seconds, as {@link Timestamps#iso} formats the whole second (without its
     * {@code Z}), cached for the last second seen: consecutive events mostly fall in the same second. The
     * fraction and the {@code Z} are appended by {@link #fraction}, so the text is exactly
     * {@link Instant#toString()} without formatting a string per event.
     */
    private byte[] secondPrefix(long epochSecond) {
        Second s = lastSecond;
        if (s.epochSecond() != epochSecond) {
            String iso = Timestamps.iso(Instant.ofEpochSecond(epochSecond));
            s = new Second(epochSecond, iso.substring(0, iso.length() - 1).getBytes(StandardCharsets.US_ASCII));
            lastSecond = s;
        }
        return s.prefix();
    }

    /**
     * Appends the fraction as {@link Instant#toString()} does (none for whole seconds, else 3, 6 or 9
     * digits, as few as hold the value), then {@code Z"}.
     */
    private static int fraction(byte[] b, int p, int nano) {
        if (nano != 0) {
            b[p++] = '.';
            int digits;
            int value;
            if (nano % 1_000_000 == 0) {
                digits = 3;
                value = nano / 1_000_000;
            } else if (nano % 1000 == 0) {
                digits = 6;
                value = nano / 1000;
            } else {
                digits = 9;
                value = nano;
            }
            for (int i = p + digits - 1; i >= p; i--) {
                b[i] = (byte) ('0' + value % 10);
                value /= 10;
            }
            p += digits;
        }
        b[p++] = 'Z';
        b[p++] = '"';
        return p;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    /** The prefix, the escaped string, the closing quote, reserving room first (details). */
    private static void string(LineBuffer out, byte[] prefix, String s) {
        byte[] b = out.ensure(MAX_PREFIX + 6L * s.length());
        out.size(AuditJsonBytes.string(b, out.size(), prefix, s));
    }

    /** {@code ,"details":{"key":"value",...}}, sorted by key. */
    private static void details(LineBuffer out, Map<String, String> details) {
        byte[] b = out.ensure(DETAILS_PREFIX.length);
        out.size(AuditJsonBytes.prefix(b, out.size(), DETAILS_PREFIX));
        List<Map.Entry<String, String>> entries = new ArrayList<>(details.size());
        boolean lone = false;
        for (Map.Entry<String, String> d : details.entrySet()) {
            entries.add(d);
            lone |= LoneSurrogateKeys.hasLoneSurrogate(d.getKey());
        }
        if (lone) {
            entries = LoneSurrogateKeys.replaced(entries);
        }
        if (entries.size() > 1) {
            entries.sort(Map.Entry.comparingByKey());
        }
        boolean first = true;
        for (Map.Entry<String, String> d : entries) {
            if (!first) {
                out.put((byte) ',');
            }
            first = false;
            string(out, KEY_OPEN, d.getKey());
            string(out, VALUE_OPEN, d.getValue());
        }
        out.put((byte) '}');
    }
}
