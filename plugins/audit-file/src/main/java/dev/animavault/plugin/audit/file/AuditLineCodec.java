package dev.animavault.plugin.audit.file;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes an {@link AuditEvent} as one JSON object (no newline) and decodes it back. Field order is
 * fixed; null fields and empty details are left out; details are written sorted by key. Decoding
 * refuses duplicate fields, trailing content and missing required fields, and ignores unknown fields
 * (room for later versions). Thread-safe.
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

    private final JsonFactory factory = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

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

    /** Writes the event's JSON object, ending with {@code prev}, to the stream. */
    void encode(AuditEvent e, String prev, OutputStream out) {
        try (JsonGenerator g = factory.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField(ID, e.id());
            g.writeStringField(TIMESTAMP, e.timestamp().toString());
            g.writeStringField(ACTION, e.action());
            g.writeStringField(OUTCOME, e.outcome().name());
            writeIfPresent(g, ORGANIZATION_ID, e.organizationId());
            writeIfPresent(g, IDENTITY_ID, e.identityId());
            writeIfPresent(g, SECRET_KEY, e.secretKey());
            if (e.version() != null) {
                g.writeNumberField(VERSION, e.version());
            }
            writeIfPresent(g, ACTOR, e.actor());
            writeIfPresent(g, REQUEST_ID, e.requestId());
            writeIfPresent(g, REMOTE_ADDRESS, e.remoteAddress());
            writeIfPresent(g, ERROR_CODE, e.errorCode());
            if (!e.details().isEmpty()) {
                g.writeObjectFieldStart(DETAILS);
                for (Map.Entry<String, String> d : new TreeMap<>(e.details()).entrySet()) {
                    g.writeStringField(d.getKey(), d.getValue());
                }
                g.writeEndObject();
            }
            g.writeStringField(PREV, prev);
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void writeIfPresent(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
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
        try (JsonParser p = factory.createParser(buf, offset, length)) {
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
