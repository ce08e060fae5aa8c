package dev.animavault.core.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** JSON reading and writing for the HTTP API, with errors that name the field, never its value. */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // {"identityId":"a","identityId":"b"} must not mean something else here than in a proxy or SDK
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
    }

    private Json() {
    }

    /** Parses a request body that must be a JSON object. */
    static JsonNode object(byte[] body) {
        if (body.length == 0) {
            throw new VaultException(ErrorCode.MALFORMED_JSON, "request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            // size/nesting limit violations carry no location
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new VaultException(ErrorCode.MALFORMED_JSON, "request body is not valid JSON or exceeds a nesting, "
                    + "number or string limit" + where);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.MALFORMED_JSON, "request body could not be read as JSON");
        }
        if (node == null || !node.isObject()) {
            throw new VaultException(ErrorCode.MALFORMED_JSON, "request body must be a JSON object");
        }
        return node;
    }

    /** Refuses members other than the given ones (catches typos such as "vaule"). */
    static void onlyFields(JsonNode body, String... allowed) {
        Set<String> ok = Set.of(allowed);
        body.fieldNames().forEachRemaining(f -> {
            if (!ok.contains(f)) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "unknown field '" + truncate(f) + "'; allowed: "
                        + new java.util.TreeSet<>(ok));
            }
        });
    }

    static String requiredString(JsonNode body, String field) {
        return optionalString(body, field).orElseThrow(() -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                "field '" + field + "' is required"));
    }

    static Optional<String> optionalString(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be a string");
        }
        return Optional.of(wellFormed(n.textValue(), field));
    }

    /**
     * Refuses strings with unpaired UTF-16 surrogates ({@code "\ud800"} in JSON): encoding them to UTF-8
     * would silently store {@code ?} instead of what the client sent.
     */
    static String wellFormed(String s, String field) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' contains an unpaired "
                        + "UTF-16 surrogate at index " + i);
            }
        }
        return s;
    }

    static Optional<Map<String, String>> optionalStringMap(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "." + truncate(e.getKey())
                        + "' must be a string");
            }
            out.put(wellFormed(e.getKey(), field), wellFormed(e.getValue().textValue(), field + "." + truncate(e.getKey())));
        });
        return Optional.of(out);
    }

    /**
     * A policy object such as {@code generate: {length: 32, classes: ["lower", "digit"]}}: strings,
     * numbers and booleans as text, arrays of strings joined with commas.
     */
    static Optional<Map<String, String>> optionalPolicy(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isObject()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            String name = field + "." + truncate(e.getKey());
            JsonNode v = e.getValue();
            String text;
            if (v.isTextual() || v.isNumber() || v.isBoolean()) {
                text = v.asText();
            } else if (v.isArray()) {
                java.util.List<String> parts = new java.util.ArrayList<>();
                v.forEach(item -> {
                    if (!item.isTextual()) {
                        throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + name
                                + "' must be an array of strings");
                    }
                    parts.add(item.textValue());
                });
                text = String.join(",", parts);
            } else {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + name
                        + "' must be a string, number, boolean or array of strings");
            }
            out.put(wellFormed(e.getKey(), field), wellFormed(text, name));
        });
        return Optional.of(out);
    }

    static Optional<Set<String>> optionalStringSet(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isArray()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be an array of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "field '" + field + "' must be an array of strings");
            }
            out.add(wellFormed(e.textValue(), field));
        }
        return Optional.of(out);
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize response", e);
        }
    }

    private static String truncate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
