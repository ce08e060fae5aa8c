package dev.animavault.core.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The common secret create body read with Jackson's streaming parser instead of a tree (issue 19: the tree of
 * every create's body was a few percent of a write's CPU): {@code identityId}, {@code key} and {@code value}
 * strings, and optionally {@code type} and {@code expiresAt} strings and a {@code metadata} object of strings,
 * each at most once. Anything else (another member such as {@code rotation} or {@code generate}, another
 * type, a duplicate, a missing member, malformed JSON, a string with an unpaired surrogate) gives
 * {@code null}, and the caller reads the body as a tree as before: errors, and bodies this does not read, are
 * answered exactly as they were. Stateless; thread-safe.
 */
record CreateBody(String identityId, String key, String value, String type, Map<String, String> metadata,
                  String expiresAt) {

    /** Names the body's fields, never the secret value (a record's own toString would print it). */
    @Override
    public String toString() {
        return "CreateBody[identityId=" + identityId + ", key=" + key + ", value=<masked>, type=" + type
                + ", metadata=" + metadata + ", expiresAt=" + expiresAt + "]";
    }

    /** The body read, or null when it is not the common form (then the tree path decides). */
    static CreateBody read(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        try (JsonParser p = Json.MAPPER.createParser(body)) {
            // duplicates are found below by name (a bit each): no detector's set per object and per create
            p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String identityId = null;
            String key = null;
            String value = null;
            String type = null;
            String expiresAt = null;
            Map<String, String> metadata = null;
            int seen = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) {
                    return null;
                }
                String name = p.currentName();
                int bit = member(name);
                if (bit == 0 || (seen & bit) != 0) {
                    return null; // another member, or one given twice (even as null): the tree path answers
                }
                seen |= bit;
                JsonToken v = p.nextToken();
                if ("metadata".equals(name)) {
                    if (v == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    if (v != JsonToken.START_OBJECT || (metadata = stringMap(p)) == null) {
                        return null;
                    }
                    continue;
                }
                if (v == JsonToken.VALUE_NULL) {
                    // an explicit null is an absent member, as on the tree path, unless it is one of the required
                    if (!"type".equals(name) && !"expiresAt".equals(name)) {
                        return null;
                    }
                    continue;
                }
                if (v != JsonToken.VALUE_STRING) {
                    return null;
                }
                String s = p.getText();
                if (!wellFormed(s)) {
                    return null;
                }
                switch (name) {
                    case "identityId" -> identityId = s;
                    case "key" -> key = s;
                    case "value" -> value = s;
                    case "type" -> type = s;
                    case "expiresAt" -> expiresAt = s;
                    default -> {
                        return null;
                    }
                }
            }
            if (p.nextToken() != null || identityId == null || key == null || value == null) {
                return null;
            }
            return new CreateBody(identityId, key, value, type, metadata == null ? Map.of() : metadata, expiresAt);
        } catch (IOException | RuntimeException e) {
            return null; // the tree path answers it
        }
    }

    /** An object of strings, the parser on its START_OBJECT; null when it is anything else. */
    private static Map<String, String> stringMap(JsonParser p) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String k = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                return null;
            }
            String v = p.getText();
            if (!wellFormed(k) || !wellFormed(v)) {
                return null;
            }
            if (out.put(k, v) != null) {
                return null; // a label given twice
            }
        }
        return out;
    }

    /** The member's bit in the set of those seen; 0 for a member this form does not have. */
    private static int member(String name) {
        return switch (name) {
            case "identityId" -> 1;
            case "key" -> 2;
            case "value" -> 4;
            case "type" -> 8;
            case "expiresAt" -> 16;
            case "metadata" -> 32;
            default -> 0;
        };
    }

    private static boolean wellFormed(String s) {
        try {
            Json.wellFormed(s, "");
            return true;
        } catch (VaultException e) {
            return false;
        }
    }
}
