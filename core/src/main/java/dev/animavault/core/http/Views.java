package dev.animavault.core.http;

import dev.animavault.core.auth.TokenService;
import dev.animavault.core.service.VaultService;
import dev.animavault.spi.Page;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** JSON shapes of the API's resources. */
final class Views {
    private Views() {
    }

    static Map<String, Object> identity(Identity i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", i.id());
        m.put("organizationId", i.organizationId());
        m.put("name", i.name());
        m.put("metadata", i.metadata());
        m.put("disabled", i.disabled());
        m.put("createdAt", i.createdAt().toString());
        m.put("updatedAt", i.updatedAt().toString());
        return m;
    }

    static Map<String, Object> secretMetadata(SecretMetadata s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organizationId", s.ref().organizationId());
        m.put("identityId", s.ref().identityId());
        m.put("key", s.ref().key());
        m.put("type", s.type());
        m.put("version", s.currentVersion());
        m.put("metadata", s.metadata());
        m.put("createdAt", s.createdAt().toString());
        m.put("updatedAt", s.updatedAt().toString());
        return m;
    }

    /**
     * The secret read response, streamed (the agents' hot path).
     */
    static byte[] secretJson(VaultService.SecretRead r) {
        SecretMetadata s = r.metadata();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(256 + r.value().length());
        try (com.fasterxml.jackson.core.JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("organizationId", s.ref().organizationId());
            g.writeStringField("identityId", s.ref().identityId());
            g.writeStringField("key", s.ref().key());
            g.writeStringField("type", s.type());
            g.writeNumberField("version", r.version());
            g.writeNumberField("currentVersion", s.currentVersion());
            g.writeStringField("value", r.value().asUtf8());
            g.writeObjectFieldStart("metadata");
            for (Map.Entry<String, String> e : s.metadata().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeStringField("createdAt", r.versionCreatedAt().toString());
            g.writeStringField("updatedAt", s.updatedAt().toString());
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Map<String, Object> issuedToken(TokenService.Issued t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.principal().tokenId());
        m.put("token", t.token());
        m.put("identityId", t.principal().identityId());
        m.put("organizationId", t.principal().organizationId());
        m.put("name", t.name() == null ? "" : t.name());
        m.put("keys", t.principal().allowedKeys());
        m.put("createdAt", t.createdAt().toString());
        m.put("expiresAt", t.principal().expiresAt() == null ? null : t.principal().expiresAt().toString());
        return m;
    }

    static Map<String, Object> auditEvent(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("timestamp", e.timestamp().toString());
        m.put("action", e.action());
        m.put("outcome", e.outcome().name());
        m.put("organizationId", e.organizationId());
        m.put("identityId", e.identityId());
        m.put("secretKey", e.secretKey());
        m.put("version", e.version());
        m.put("actor", e.actor());
        m.put("requestId", e.requestId());
        m.put("remoteAddress", e.remoteAddress());
        m.put("errorCode", e.errorCode());
        if (!e.details().isEmpty()) {
            m.put("details", e.details());
        }
        return m;
    }

    static <T> Map<String, Object> page(Page<T> page, Function<T, Map<String, Object>> view) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> items = page.items().stream().map(view).toList();
        m.put("items", items);
        m.put("nextCursor", page.nextCursor().orElse(null));
        return m;
    }
}
