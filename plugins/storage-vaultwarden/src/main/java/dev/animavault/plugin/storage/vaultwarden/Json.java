package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON helpers. Vaultwarden answers in camelCase today and in PascalCase in older releases (the token
 * endpoint still uses PascalCase for key material), so lookups ignore the case of member names.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** The member with the given name, compared ignoring case; null when absent or JSON null. */
    static JsonNode get(JsonNode node, String name) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode exact = node.get(name);
        if (exact != null) {
            return exact.isNull() ? null : exact;
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().isNull() ? null : e.getValue();
            }
        }
        return null;
    }

    /** A text member or null. */
    static String text(JsonNode node, String name) {
        JsonNode v = get(node, name);
        return v == null ? null : v.asText();
    }

    /** An integer member or the default. */
    static int integer(JsonNode node, String name, int defaultValue) {
        JsonNode v = get(node, name);
        return v == null || !v.canConvertToInt() ? defaultValue : v.asInt();
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static JsonNode parse(byte[] body) throws IOException {
        return MAPPER.readTree(body);
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("JSON serialisation failed", e);
        }
    }
}
