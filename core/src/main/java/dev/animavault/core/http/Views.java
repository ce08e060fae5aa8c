package dev.animavault.core.http;

import dev.animavault.core.auth.TokenService;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.core.service.SecretReadService;
import dev.animavault.spi.Page;
import dev.animavault.spi.Timestamps;
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
        m.put("createdAt", Timestamps.iso(i.createdAt()));
        m.put("updatedAt", Timestamps.iso(i.updatedAt()));
        return m;
    }

    static Map<String, Object> secretMetadata(SecretMetadata s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organizationId", s.ref().organizationId());
        m.put("identityId", s.ref().identityId());
        m.put("key", s.ref().key());
        m.put("type", s.type());
        m.put("version", s.currentVersion());
        String hint = s.attributes().get(dev.animavault.core.credential.CredentialHints.ATTRIBUTE);
        if (hint != null) {
            m.put("hint", hint);
        }
        dev.animavault.core.credential.CredentialState.of(s).ifPresent(state -> m.put("state", state));
        m.put("metadata", s.metadata());
        m.put("createdAt", Timestamps.iso(s.createdAt()));
        m.put("updatedAt", Timestamps.iso(s.updatedAt()));
        LifecycleAttributes.view(s, java.time.Instant.now()).ifPresent(r -> m.put("rotation", r));
        return m;
    }

    /**
     * {@link #secretMetadata} as JSON bytes, for the answers of a create and an update (the write path): the
     * same members in the same order, written straight to bytes with {@link JsonBytes} instead of a map that
     * Jackson serializes. A secret with a {@code rotation} member (a policy or an expiry) takes the map path.
     * Equal to {@code Json.write(secretMetadata(s))} (ViewsTest), except that characters beyond the Basic
     * Multilingual Plane come out as UTF-8 rather than as escaped surrogate pairs (the same JSON text).
     */
    static byte[] secretMetadataJson(SecretMetadata s) {
        if (LifecycleAttributes.view(s, java.time.Instant.now()).isPresent()) {
            return Json.write(secretMetadata(s));
        }
        JsonBytes out = new JsonBytes(256 + 64 * s.metadata().size());
        out.raw("{\"organizationId\":").string(s.ref().organizationId())
                .raw(",\"identityId\":").string(s.ref().identityId())
                .raw(",\"key\":").string(s.ref().key())
                .raw(",\"type\":").string(s.type())
                .raw(",\"version\":").number(s.currentVersion());
        String hint = s.attributes().get(dev.animavault.core.credential.CredentialHints.ATTRIBUTE);
        if (hint != null) {
            out.raw(",\"hint\":").string(hint);
        }
        java.util.Optional<String> state = dev.animavault.core.credential.CredentialState.of(s);
        if (state.isPresent()) {
            out.raw(",\"state\":").string(state.get());
        }
        out.raw(",\"metadata\":");
        out.stringMap(s.metadata());
        out.raw(",\"createdAt\":").instant(s.createdAt())
                .raw(",\"updatedAt\":").instant(s.updatedAt())
                .raw('}');
        return out.toByteArray();
    }

    /**
     * The secret read response (the agents' hot path), written straight to bytes: the value goes from its
     * bytes into the response without becoming a {@code String}. The caller sends the array and then
     * zeroes it.
     */
    static byte[] secretJson(SecretReadService.SecretRead r) {
        SecretMetadata s = r.metadata();
        byte[] value = r.value().bytes();
        JsonBytes out = new JsonBytes(320 + value.length + 64 * s.metadata().size());
        try {
            out.raw("{\"organizationId\":").string(s.ref().organizationId())
                    .raw(",\"identityId\":").string(s.ref().identityId())
                    .raw(",\"key\":").string(s.ref().key())
                    .raw(",\"type\":").string(s.type())
                    .raw(",\"version\":").number(r.version())
                    .raw(",\"currentVersion\":").number(s.currentVersion())
                    .raw(",\"value\":").utf8String(value);
            if (!r.fields().isEmpty()) {
                for (Map.Entry<String, String> f : r.fields().entrySet()) {
                    out.raw(',').string(f.getKey()).raw(':').string(f.getValue());
                }
            }
            out.raw(",\"metadata\":");
            out.stringMap(s.metadata());
            out.raw(",\"createdAt\":").instant(r.versionCreatedAt())
                    .raw(",\"updatedAt\":").instant(s.updatedAt())
                    .raw('}');
            return out.toByteArray();
        } finally {
            java.util.Arrays.fill(value, (byte) 0);
            out.wipe();
        }
    }

    static Map<String, Object> issuedToken(TokenService.Issued t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.principal().tokenId());
        m.put("token", t.token());
        m.put("identityId", t.principal().identityId());
        m.put("organizationId", t.principal().organizationId());
        m.put("name", t.name() == null ? "" : t.name());
        m.put("keys", t.principal().allowedKeys());
        m.put("createdAt", Timestamps.iso(t.createdAt()));
        m.put("expiresAt", t.principal().expiresAt() == null ? null : Timestamps.iso(t.principal().expiresAt()));
        return m;
    }

    static Map<String, Object> tokenInfo(TokenService.TokenInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("identityId", t.identityId());
        m.put("name", t.name());
        m.put("keys", t.keys());
        m.put("createdAt", t.createdAt() == null ? null : Timestamps.iso(t.createdAt()));
        m.put("expiresAt", t.expiresAt() == null ? null : Timestamps.iso(t.expiresAt()));
        return m;
    }

    static Map<String, Object> auditEvent(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("timestamp", Timestamps.iso(e.timestamp()));
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
