package dev.animavault.core.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * The format of {@link TokenService}'s token records (JSON in namespace {@value TokenService#NAMESPACE}): parsing,
 * the signature over the fields that grant something, the principal a record describes, and the id of a token
 * given from outside.
 */
final class TokenRecords {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private TokenRecords() {
    }

    static JsonNode parse(StoredRecord r) {
        try {
            return JSON.readTree(r.value());
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "token record " + r.key() + " is malformed");
        }
    }

    static byte[] decodeB64(String text, String recordKey) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "token record " + recordKey + " is malformed");
        }
    }

    static String derivedId(byte[] mac) {
        return "h" + HEX.formatHex(mac).substring(0, 15);
    }

    static Principal toPrincipal(JsonNode json) {
        Set<String> keys = new java.util.HashSet<>();
        json.path("keys").forEach(k -> keys.add(k.asText()));
        String exp = json.path("expiresAt").asText(null);
        return new Principal(Principal.Kind.valueOf(json.get("kind").asText()), json.get("organizationId").asText(),
                json.path("identityId").asText(null), json.get("id").asText(), keys,
                exp == null ? null : Instant.parse(exp), permissions(json));
    }

    /**
     * The permissions a record grants. An API key record without {@code permissions} predates scoped keys:
     * it was made by {@code init} or the bootstrap token when one organization was all there was, so it is
     * an instance owner key. Unknown wire names (a newer version's) grant nothing.
     */
    static Set<Permission> permissions(JsonNode json) {
        if (!json.has("permissions")) {
            return Principal.Kind.ORG_API_KEY.name().equals(json.path("kind").asText()) ? TokenService.INSTANCE_OWNER : Set.of();
        }
        java.util.EnumSet<Permission> out = java.util.EnumSet.noneOf(Permission.class);
        json.path("permissions").forEach(k -> Permission.fromWire(k.asText()).ifPresent(out::add));
        return Set.copyOf(out);
    }

    /**
     * HMAC under token key {@code keyVersion} over every field that grants something (kind, organization,
     * identity, keys, expiry), the token's own MAC and (from version 2 on) the key version, so a record
     * edited in storage is refused.
     */
    static byte[] signature(Barrier barrier, JsonNode json, int keyVersion) {
        StringBuilder canonical = new StringBuilder("anima-vault/token/v1");
        for (String field : new String[] {"id", "kind", "organizationId", "identityId", "expiresAt", "mac"}) {
            String v = json.path(field).asText("");
            canonical.append('\n').append(field).append('=').append(v.length()).append(':').append(v);
        }
        java.util.List<String> keys = new java.util.ArrayList<>();
        json.path("keys").forEach(k -> keys.add(k.asText()));
        java.util.Collections.sort(keys);
        for (String k : keys) {
            canonical.append("\nkey=").append(k.length()).append(':').append(k);
        }
        if (json.has("permissions")) {
            // absent in records written before scoped keys (their signature stays valid): those are owner keys
            canonical.append("\npermissions");
            java.util.List<String> perms = new java.util.ArrayList<>();
            json.path("permissions").forEach(k -> perms.add(k.asText()));
            java.util.Collections.sort(perms);
            for (String k : perms) {
                canonical.append("\nperm=").append(k.length()).append(':').append(k);
            }
        }
        if (keyVersion > 1) {
            canonical.append("\nkv=").append(keyVersion);
        }
        return barrier.tokenMac(keyVersion, canonical.toString().getBytes(StandardCharsets.UTF_8))
                .orElseThrow(TokenService::unauthenticated);
    }
}
