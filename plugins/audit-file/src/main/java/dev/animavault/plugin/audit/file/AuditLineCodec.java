package dev.animavault.plugin.audit.file;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.animavault.spi.Timestamps;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Encodes an {@link AuditEvent} as one JSON object (no newline) and decodes it back. Field order is
 * fixed; null fields and empty details are left out; details are written sorted by key. Decoding
 * refuses duplicate fields, trailing content and missing required fields, and ignores unknown fields
 * (room for later versions). Thread-safe.
 *
 * <p><b>Encoding</b> is hand-written, straight into the batch's bytes (no generator, no intermediate
 * strings), and writes byte for byte what Jackson's {@code JsonGenerator} wrote (the
 * earlier encoder; files it wrote stay valid, see the compatibility test): UTF-8; {@code "} and
 * {@code \} escaped with a backslash; the control characters below U+0020 as {@code \b \t \n \f \r} or
 * a six-character {@code \}{@code u00XX} escape with upper-case hex; DEL, U+2028, U+2029 and every other
 * non-ASCII character raw, except surrogates: <em>every</em> surrogate char, paired or not, is its own
 * six-character escape (an emoji is two escapes; an unpaired surrogate still gives valid UTF-8 and
 * decodes back to the same string). The timestamp is the text of {@link Instant#toString()}: the whole
 * second as {@link Timestamps#iso} formats it (once per second), then the fraction; the version is a
 * plain integer.
 *
 * <p>One deliberate difference: a details <em>key</em> holding an unpaired surrogate is written with
 * U+FFFD in place of each unpaired surrogate (and further U+FFFD appended while it equals another key),
 * because Jackson's parser refuses unpaired surrogates in field names: the earlier encoder wrote such
 * lines and then could not read them back (the file failed verification at the next open). Values,
 * and keys without unpaired surrogates, are kept exactly.
 */
final class AuditLineCodec {
    static final String ID = "id";
    static final String TIMESTAMP = "timestamp";
    static final String ACTION = "action";
    static final String OUTCOME = "outcome";
    static final String ORGANIZATION_ID = "organizationId";
    static final String IDENTITY_ID = "identityId";
    static final String SECRET_KEY = "secretKey";
    static final String VERSION = "version";
    static final String ACTOR = "actor";
    static final String REQUEST_ID = "requestId";
    static final String REMOTE_ADDRESS = "remoteAddress";
    static final String ERROR_CODE = "errorCode";
    static final String DETAILS = "details";
    static final String PREV = "prev";

    /** Length of a SHA-256 hash in bytes. */
    static final int HASH_BYTES = 32;

    private static final byte[] ID_PREFIX = ascii("{\"" + ID + "\":\"");
    private static final byte[] TIMESTAMP_PREFIX = field(TIMESTAMP);
    private static final byte[] ACTION_PREFIX = field(ACTION);
    private static final byte[] ORGANIZATION_ID_PREFIX = field(ORGANIZATION_ID);
    private static final byte[] IDENTITY_ID_PREFIX = field(IDENTITY_ID);
    private static final byte[] SECRET_KEY_PREFIX = field(SECRET_KEY);
    private static final byte[] VERSION_PREFIX = ascii(",\"" + VERSION + "\":");
    private static final byte[] ACTOR_PREFIX = field(ACTOR);
    private static final byte[] REQUEST_ID_PREFIX = field(REQUEST_ID);
    private static final byte[] REMOTE_ADDRESS_PREFIX = field(REMOTE_ADDRESS);
    private static final byte[] ERROR_CODE_PREFIX = field(ERROR_CODE);
    private static final byte[] DETAILS_PREFIX = ascii(",\"" + DETAILS + "\":{");
    private static final byte[] PREV_PREFIX = field(PREV);
    /** {@code ,"outcome":"SUCCESS"} and so on, by ordinal. */
    private static final byte[][] OUTCOMES = outcomes();
    private static final byte[] KEY_OPEN = {'"'};
    private static final byte[] VALUE_OPEN = {':', '"'};
    private static final byte[] MIN_INT = ascii(Integer.toString(Integer.MIN_VALUE));
    /** At least the longest prefix above (19 bytes) plus a closing quote. */
    private static final int MAX_PREFIX = 24;
    /** At least all the prefixes, quotes, a version, {@code prev} and the closing brace of one line. */
    private static final int MAX_FIXED = 512;

    /** Per ASCII char: 0 written as is, -1 as a six-character escape, else the char after a backslash. */
    private static final byte[] ESCAPES = new byte[128];
    private static final byte[] HEX_UPPER = ascii("0123456789ABCDEF");
    private static final byte[] HEX_LOWER = ascii("0123456789abcdef");

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = -1;
        }
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
    }

    /** A whole second and its text: immutable, so the racy single-entry cache below is safe. */
    private record Second(long epochSecond, byte[] prefix) {
    }

    /** The last second encoded (any thread; a stale or lost update only costs a reformat). */
    private Second lastSecond = new Second(Long.MIN_VALUE, new byte[0]);

    /**
     * The parser factory, made at the first {@link #decode} (thread-safe once built, so shared): a restart after a
     * clean close decodes no line before it serves, and writing needs no parser (issue 19: building it loaded
     * Jackson's classes from the plugin's jar on the startup path, twice).
     */
    private static final class Parsers {
        static final JsonFactory FACTORY = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();

        private Parsers() {
        }
    }

    /** A decoded line: the event and the hash of the line before it. */
    record Decoded(AuditEvent event, String prev) {
    }

    /** Thrown when a line is not a well-formed event. Its message names the problem, not line content. */
    static final class MalformedLineException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedLineException(String message) {
            super(message);
        }
    }

    private static byte[][] outcomes() { // a loop, not a stream's lambdas: the sink's open runs it (issue 19)
        AuditOutcome[] values = AuditOutcome.values();
        byte[][] out = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = ascii(",\"" + OUTCOME + "\":\"" + values[i].name() + "\"");
        }
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code ,"name":"} */
    private static byte[] field(String name) {
        return ascii(",\"" + name + "\":\"");
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
        p = string(b, p, ID_PREFIX, id);
        p = fraction(b, prefix(b, prefix(b, p, TIMESTAMP_PREFIX), second), timestamp.getNano());
        p = string(b, p, ACTION_PREFIX, action);
        p = prefix(b, p, OUTCOMES[e.outcome().ordinal()]);
        if (organizationId != null) {
            p = string(b, p, ORGANIZATION_ID_PREFIX, organizationId);
        }
        if (identityId != null) {
            p = string(b, p, IDENTITY_ID_PREFIX, identityId);
        }
        if (secretKey != null) {
            p = string(b, p, SECRET_KEY_PREFIX, secretKey);
        }
        if (version != null) {
            p = integer(b, prefix(b, p, VERSION_PREFIX), version);
        }
        if (actor != null) {
            p = string(b, p, ACTOR_PREFIX, actor);
        }
        if (requestId != null) {
            p = string(b, p, REQUEST_ID_PREFIX, requestId);
        }
        if (remoteAddress != null) {
            p = string(b, p, REMOTE_ADDRESS_PREFIX, remoteAddress);
        }
        if (errorCode != null) {
            p = string(b, p, ERROR_CODE_PREFIX, errorCode);
        }
        if (!e.details().isEmpty()) {
            out.size(p);
            details(out, e.details());
            b = out.ensure(PREV_PREFIX.length + 2 * HASH_BYTES + 2);
            p = out.size();
        }
        p = prefix(b, p, PREV_PREFIX);
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

    private static int prefix(byte[] b, int p, byte[] prefix) {
        System.arraycopy(prefix, 0, b, p, prefix.length);
        return p + prefix.length;
    }

    /** The prefix (ending in an opening quote), the escaped string, the closing quote; room is there. */
    private static int string(byte[] b, int p, byte[] prefix, String s) {
        p = chars(b, prefix(b, p, prefix), s, s.length());
        b[p++] = '"';
        return p;
    }

    /** The prefix, the escaped string, the closing quote, reserving room first (details). */
    private static void string(LineBuffer out, byte[] prefix, String s) {
        byte[] b = out.ensure(MAX_PREFIX + 6L * s.length());
        out.size(string(b, out.size(), prefix, s));
    }

    private static int integer(byte[] b, int p, int v) {
        if (v == Integer.MIN_VALUE) {
            return prefix(b, p, MIN_INT);
        }
        if (v < 0) {
            b[p++] = '-';
            v = -v;
        }
        int digits = 1;
        for (int x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = p + digits - 1; i >= p; i--) {
            b[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return p + digits;
    }

    /** Writes the escaped UTF-8 of {@code s} (without quotes) at {@code p}; room for 6 bytes a char is there. */
    private static int chars(byte[] b, int p, String s, int n) {
        // The common case, printable ASCII with nothing to escape, in a loop of its own.
        int i = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                break;
            }
            b[p + i] = (byte) c;
        }
        return i == n ? p + n : escapedChars(b, p + i, s, i, n);
    }

    private static int escapedChars(byte[] b, int p, String s, int from, int n) {
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                byte esc = ESCAPES[c];
                if (esc == 0) {
                    b[p++] = (byte) c;
                } else if (esc > 0) {
                    b[p++] = '\\';
                    b[p++] = esc;
                } else {
                    p = unicodeEscape(b, p, c);
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                p = unicodeEscape(b, p, c);
            } else {
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return p;
    }

    private static int unicodeEscape(byte[] b, int p, char c) {
        b[p++] = '\\';
        b[p++] = 'u';
        b[p++] = HEX_UPPER[(c >> 12) & 0xF];
        b[p++] = HEX_UPPER[(c >> 8) & 0xF];
        b[p++] = HEX_UPPER[(c >> 4) & 0xF];
        b[p++] = HEX_UPPER[c & 0xF];
        return p;
    }

    /** {@code ,"details":{"key":"value",...}}, sorted by key. */
    private static void details(LineBuffer out, Map<String, String> details) {
        byte[] b = out.ensure(DETAILS_PREFIX.length);
        out.size(prefix(b, out.size(), DETAILS_PREFIX));
        List<Map.Entry<String, String>> entries = new ArrayList<>(details.size());
        boolean lone = false;
        for (Map.Entry<String, String> d : details.entrySet()) {
            entries.add(d);
            lone |= hasLoneSurrogate(d.getKey());
        }
        if (lone) {
            entries = withoutLoneSurrogateKeys(entries);
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

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The entries with U+FFFD for each unpaired surrogate in a key; a replaced key that equals another
     * key gets U+FFFD appended until it is unique (keys without unpaired surrogates never change).
     */
    private static List<Map.Entry<String, String>> withoutLoneSurrogateKeys(List<Map.Entry<String, String>> entries) {
        List<Map.Entry<String, String>> out = new ArrayList<>(entries.size());
        Set<String> taken = new HashSet<>();
        List<Map.Entry<String, String>> replaced = new ArrayList<>();
        for (Map.Entry<String, String> d : entries) {
            if (hasLoneSurrogate(d.getKey())) {
                replaced.add(d);
            } else {
                out.add(d);
                taken.add(d.getKey());
            }
        }
        // In key order, so that collisions resolve the same way whatever the map's iteration order.
        replaced.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, String> d : replaced) {
            String k = d.getKey();
            StringBuilder sb = new StringBuilder(k.length() + 1);
            for (int i = 0; i < k.length(); i++) {
                char c = k.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < k.length() && Character.isLowSurrogate(k.charAt(i + 1))) {
                    sb.append(c).append(k.charAt(++i));
                } else {
                    sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
                }
            }
            while (!taken.add(sb.toString())) {
                sb.append('\uFFFD');
            }
            out.add(Map.entry(sb.toString(), d.getValue()));
        }
        return out;
    }

    /** Parses one line (without its newline). */
    Decoded decode(byte[] buf, int offset, int length) throws MalformedLineException {
        String id = null;
        String timestamp = null;
        String action = null;
        String outcome = null;
        String organizationId = null;
        String identityId = null;
        String secretKey = null;
        Integer version = null;
        String actor = null;
        String requestId = null;
        String remoteAddress = null;
        String errorCode = null;
        Map<String, String> details = Map.of();
        String prev = null;
        try (JsonParser p = Parsers.FACTORY.createParser(buf, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedLineException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case ID -> id = text(p, t, name);
                    case TIMESTAMP -> timestamp = text(p, t, name);
                    case ACTION -> action = text(p, t, name);
                    case OUTCOME -> outcome = text(p, t, name);
                    case ORGANIZATION_ID -> organizationId = text(p, t, name);
                    case IDENTITY_ID -> identityId = text(p, t, name);
                    case SECRET_KEY -> secretKey = text(p, t, name);
                    case VERSION -> version = integer(p, t);
                    case ACTOR -> actor = text(p, t, name);
                    case REQUEST_ID -> requestId = text(p, t, name);
                    case REMOTE_ADDRESS -> remoteAddress = text(p, t, name);
                    case ERROR_CODE -> errorCode = text(p, t, name);
                    case DETAILS -> details = details(p, t);
                    case PREV -> prev = text(p, t, name);
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new MalformedLineException("content after the JSON object");
            }
        } catch (IOException e) {
            throw new MalformedLineException("not valid JSON");
        }
        if (id == null || timestamp == null || action == null || outcome == null || prev == null) {
            throw new MalformedLineException("a required field (id, timestamp, action, outcome, prev) is missing");
        }
        try {
            return new Decoded(new AuditEvent(id, Instant.parse(timestamp), action, AuditOutcome.valueOf(outcome),
                    organizationId, identityId, secretKey, version, actor, requestId, remoteAddress, errorCode,
                    details), prev);
        } catch (DateTimeParseException e) {
            throw new MalformedLineException("field 'timestamp' is not an ISO-8601 instant");
        } catch (IllegalArgumentException e) {
            throw new MalformedLineException("field 'outcome' is not a known outcome");
        }
    }

    private static String text(JsonParser p, JsonToken t, String name) throws IOException, MalformedLineException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw new MalformedLineException("field '" + name + "' is not a string");
        }
        return p.getText();
    }

    private static Integer integer(JsonParser p, JsonToken t) throws IOException, MalformedLineException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw new MalformedLineException("field 'version' is not an integer");
        }
        return p.getIntValue();
    }

    private static Map<String, String> details(JsonParser p, JsonToken t) throws IOException, MalformedLineException {
        if (t == JsonToken.VALUE_NULL) {
            return Map.of();
        }
        if (t != JsonToken.START_OBJECT) {
            throw new MalformedLineException("field 'details' is not an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new MalformedLineException("a value in 'details' is not a string");
            }
            out.put(key, p.getText());
        }
        return out;
    }
}
