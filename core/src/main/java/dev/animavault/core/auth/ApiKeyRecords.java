package dev.animavault.core.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.authz.Permission;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The organization API key records among {@link TokenService}'s: listed (scans the token records: an
 * operator's call, never a hot path), looked up and revoked. Never exposes a key or its MAC. Thread-safe.
 */
public final class ApiKeyRecords {
    private final TokenService tokens;
    private final StorageBackend storage;

    /** An organization API key's metadata, as listed: never the key or its MAC. */
    public record ApiKeyInfo(String id, String name, Set<Permission> permissions, String identityId,
                             Instant createdAt, Instant expiresAt) {
    }

    ApiKeyRecords(TokenService tokens, StorageBackend storage) {
        this.tokens = tokens;
        this.storage = storage;
    }

    /** The organization's API keys, oldest first (scans the token records: an operator's call). */
    public List<ApiKeyInfo> listApiKeys(String organizationId) {
        List<ApiKeyInfo> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(TokenService.NAMESPACE, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                JsonNode json = TokenRecords.parse(r);
                if (organizationId.equals(json.path("organizationId").asText())
                        && Principal.Kind.ORG_API_KEY.name().equals(json.path("kind").asText())) {
                    out.add(apiKeyInfo(r.key(), json));
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        out.sort(java.util.Comparator.comparing(ApiKeyInfo::createdAt, java.util.Comparator.nullsFirst(
                java.util.Comparator.naturalOrder())).thenComparing(ApiKeyInfo::id));
        return out;
    }

    /** One API key of the organization, if there is one with that id. */
    public Optional<ApiKeyInfo> apiKey(String organizationId, String id) {
        return storage.getRecord(TokenService.NAMESPACE, id).map(TokenRecords::parse)
                .filter(json -> organizationId.equals(json.path("organizationId").asText())
                        && Principal.Kind.ORG_API_KEY.name().equals(json.path("kind").asText()))
                .map(json -> apiKeyInfo(id, json));
    }

    /** Revokes one API key of the organization; false if it has none with that id. */
    public boolean revokeApiKey(String organizationId, String id) {
        Optional<StoredRecord> r = storage.getRecord(TokenService.NAMESPACE, id);
        if (r.isEmpty()) {
            return false;
        }
        JsonNode json = TokenRecords.parse(r.get());
        if (!organizationId.equals(json.path("organizationId").asText())
                || !Principal.Kind.ORG_API_KEY.name().equals(json.path("kind").asText())) {
            return false;
        }
        tokens.delete(id, r.get());
        return true;
    }

    private static ApiKeyInfo apiKeyInfo(String recordKey, JsonNode json) {
        String exp = json.path("expiresAt").asText(null);
        String created = json.path("createdAt").asText(null);
        return new ApiKeyInfo(json.path("id").asText(recordKey), json.path("name").asText(""), TokenRecords.permissions(json),
                json.path("identityId").asText(null), created == null ? null : Instant.parse(created),
                exp == null ? null : Instant.parse(exp));
    }
}
