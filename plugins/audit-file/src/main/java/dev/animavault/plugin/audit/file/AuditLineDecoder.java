package dev.animavault.plugin.audit.file;

import static dev.animavault.plugin.audit.file.AuditLineCodec.ACTION;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ACTOR;
import static dev.animavault.plugin.audit.file.AuditLineCodec.DETAILS;
import static dev.animavault.plugin.audit.file.AuditLineCodec.ERROR_CODE;
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

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.animavault.plugin.audit.file.AuditLineCodec.Decoded;
import dev.animavault.plugin.audit.file.AuditLineCodec.MalformedLineException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses one line of {@link AuditLineCodec}'s format back into its event and the hash it names as
 * {@code prev}, with Jackson's streaming parser: refuses duplicate fields, trailing content and missing
 * required fields; ignores unknown fields. Thread-safe.
 */
final class AuditLineDecoder {
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
