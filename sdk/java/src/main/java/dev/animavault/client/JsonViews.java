package dev.animavault.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** JSON to the SDK's types, field by field: unknown fields are ignored so newer servers stay readable. */
final class JsonViews {
    private JsonViews() {
    }

    static Identity identity(JsonNode n) {
        return new Identity(text(n, "id"), text(n, "organizationId"), text(n, "name"), map(n, "metadata"),
                n.path("disabled").asBoolean(false), instant(n, "createdAt"), instant(n, "updatedAt"));
    }

    static SecretMetadata secretMetadata(JsonNode n) {
        return new SecretMetadata(text(n, "organizationId"), text(n, "identityId"), text(n, "key"), text(n, "type"),
                n.path("version").asInt(), map(n, "metadata"), instant(n, "createdAt"), instant(n, "updatedAt"),
                Optional.ofNullable(text(n, "hint")), Optional.ofNullable(n.get("rotation")).filter(JsonNode::isObject)
                .map(JsonViews::rotationState));
    }

    static RotationState rotationState(JsonNode r) {
        return new RotationState(text(r, "interval"), text(r, "webhookUrl"), text(r, "mode"), text(r, "leadTime"),
                text(r, "gracePeriod"), instant(r, "nextRotationAt"), instant(r, "expiresAt"),
                instant(r, "lastRotatedAt"), text(r, "status"), text(r, "lastError"), integer(r, "pendingVersion"),
                integer(r, "previousVersion"), instant(r, "previousReadableUntil"), text(r, "retiredVersions"),
                integer(r, "destroyedBelow"));
    }

    static TokenInfo tokenInfo(JsonNode n) {
        List<String> keys = new ArrayList<>();
        n.path("keys").forEach(k -> keys.add(k.asText()));
        return new TokenInfo(text(n, "id"), text(n, "identityId"), text(n, "name"), keys, instant(n, "createdAt"),
                instant(n, "expiresAt"));
    }

    static <T> List<T> items(JsonNode n, Function<JsonNode, T> item) {
        List<T> items = new ArrayList<>();
        n.path("items").forEach(i -> items.add(item.apply(i)));
        return List.copyOf(items);
    }

    static List<String> strings(JsonNode n, String field) {
        List<String> out = new ArrayList<>();
        n.path(field).forEach(s -> out.add(s.asText()));
        return List.copyOf(out);
    }

    private static Integer integer(JsonNode n, String field) {
        return n.path(field).isNumber() ? n.get(field).asInt() : null;
    }

    static Secret secret(JsonNode n) {
        return new Secret(text(n, "organizationId"), text(n, "identityId"), text(n, "key"), text(n, "type"),
                n.path("version").asInt(), n.path("currentVersion").asInt(), SecretValue.of(text(n, "value")),
                map(n, "metadata"), instant(n, "createdAt"), instant(n, "updatedAt"), typeFields(n));
    }

    // the string members a credential type adds beside the value (oauth_refresh: tokenType, expiresAt, scope)
    private static final java.util.Set<String> SECRET_MEMBERS = java.util.Set.of("organizationId", "identityId", "key",
            "type", "version", "currentVersion", "value", "metadata", "createdAt", "updatedAt");

    private static Map<String, String> typeFields(JsonNode n) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        n.properties().forEach(e -> {
            if (!SECRET_MEMBERS.contains(e.getKey()) && e.getValue().isTextual()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }

    static IssuedToken issuedToken(JsonNode n) {
        List<String> keys = new ArrayList<>();
        n.path("keys").forEach(k -> keys.add(k.asText()));
        return new IssuedToken(text(n, "id"), SecretValue.of(text(n, "token")), text(n, "identityId"),
                text(n, "organizationId"), text(n, "name"), keys, instant(n, "createdAt"),
                Optional.ofNullable(instant(n, "expiresAt")));
    }

    static AuditEvent auditEvent(JsonNode n) {
        return new AuditEvent(text(n, "id"), text(n, "timestamp"), text(n, "action"), text(n, "outcome"),
                text(n, "organizationId"), text(n, "identityId"), text(n, "secretKey"),
                n.path("version").isNumber() ? n.get("version").asInt() : null, text(n, "actor"), text(n, "requestId"),
                text(n, "remoteAddress"), text(n, "errorCode"), map(n, "details"));
    }

    static <T> Page<T> page(JsonNode n, Function<JsonNode, T> item) {
        List<T> items = new ArrayList<>();
        n.path("items").forEach(i -> items.add(item.apply(i)));
        return new Page<>(items, text(n, "nextCursor"));
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static Instant instant(JsonNode n, String field) {
        String s = text(n, field);
        return s == null ? null : Instant.parse(s);
    }

    static Map<String, String> map(JsonNode n, String field) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.path(field).properties()) {
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }
}
