package dev.animavault.cli;

import dev.animavault.client.AuditEvent;
import dev.animavault.client.Identity;
import dev.animavault.client.IssuedToken;
import dev.animavault.client.Secret;
import dev.animavault.client.SecretMetadata;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The SDK's types as the JSON the HTTP API sends (so {@code --output json} reads like the API). */
final class Views {
    static final String MASK = "********";

    private Views() {
    }

    static Map<String, Object> identity(Identity i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", i.id());
        m.put("organizationId", i.organizationId());
        m.put("name", i.name());
        m.put("metadata", i.metadata());
        m.put("disabled", i.disabled());
        m.put("createdAt", iso(i.createdAt()));
        m.put("updatedAt", iso(i.updatedAt()));
        return m;
    }

    static Map<String, Object> secretMetadata(SecretMetadata s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organizationId", s.organizationId());
        m.put("identityId", s.identityId());
        m.put("key", s.key());
        m.put("type", s.type());
        m.put("version", s.version());
        m.put("metadata", s.metadata());
        m.put("createdAt", iso(s.createdAt()));
        m.put("updatedAt", iso(s.updatedAt()));
        s.hint().ifPresent(h -> m.put("hint", h));
        s.rotation().ifPresent(r -> m.put("rotation", rotation(r)));
        return m;
    }

    static Map<String, Object> rotation(dev.animavault.client.RotationState r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("interval", r.interval());
        m.put("webhookUrl", r.webhookUrl());
        m.put("mode", r.mode());
        m.put("leadTime", r.leadTime());
        m.put("gracePeriod", r.gracePeriod());
        m.put("nextRotationAt", iso(r.nextRotationAt()));
        m.put("expiresAt", iso(r.expiresAt()));
        m.put("lastRotatedAt", iso(r.lastRotatedAt()));
        m.put("status", r.status());
        if (r.retiredVersions() != null) {
            m.put("retiredVersions", r.retiredVersions());
        }
        if (r.destroyedBelow() != null) {
            m.put("destroyedBelow", r.destroyedBelow());
        }
        if (r.lastError() != null) {
            m.put("lastError", r.lastError());
        }
        return m;
    }

    /** A secret read; the value only when {@code reveal}, else the mask. */
    static Map<String, Object> secret(Secret s, boolean reveal) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organizationId", s.organizationId());
        m.put("identityId", s.identityId());
        m.put("key", s.key());
        m.put("type", s.type());
        m.put("version", s.version());
        m.put("currentVersion", s.currentVersion());
        m.put("value", reveal ? s.value().reveal() : MASK);
        m.put("metadata", s.metadata());
        m.put("createdAt", iso(s.createdAt()));
        m.put("updatedAt", iso(s.updatedAt()));
        return m;
    }

    static Map<String, Object> issuedToken(IssuedToken t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("token", t.token().reveal());
        m.put("identityId", t.identityId());
        m.put("organizationId", t.organizationId());
        m.put("name", t.name());
        m.put("keys", t.keys());
        m.put("createdAt", iso(t.createdAt()));
        m.put("expiresAt", t.expiresAt().map(Views::iso).orElse(null));
        return m;
    }

    static Map<String, Object> tokenInfo(dev.animavault.client.TokenInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("identityId", t.identityId());
        m.put("name", t.name());
        m.put("keys", t.keys());
        m.put("createdAt", t.createdAt() == null ? null : iso(t.createdAt()));
        m.put("expiresAt", t.expiresAt() == null ? null : iso(t.expiresAt()));
        return m;
    }

    static Map<String, Object> auditEvent(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("timestamp", e.timestamp());
        m.put("action", e.action());
        m.put("outcome", e.outcome());
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

    static String iso(Instant i) {
        return i == null ? null : i.toString();
    }
}
