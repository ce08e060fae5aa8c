package dev.animavault.core.auth;

import static dev.animavault.core.auth.TokenRecords.parse;
import static dev.animavault.core.auth.TokenService.NAMESPACE;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.auth.TokenService.TokenInfo;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The calls of {@link TokenService} that scan every token record, page by page: an identity's tokens, whether an
 * organization has an API key, the ids of matching records, records per token key version. Operators' calls,
 * startup and the keyring job; never the request path.
 */
final class TokenScans {
    private final StorageBackend storage;

    TokenScans(StorageBackend storage) {
        this.storage = storage;
    }

    /** See {@link TokenService#list}. */
    List<TokenInfo> list(String organizationId, String identityId) {
        List<TokenInfo> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(NAMESPACE, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                JsonNode json = parse(r);
                if (organizationId.equals(json.path("organizationId").asText())
                        && Principal.Kind.IDENTITY.name().equals(json.path("kind").asText())
                        && identityId.equals(json.path("identityId").asText(null))) {
                    Set<String> keys = new java.util.TreeSet<>();
                    json.path("keys").forEach(k -> keys.add(k.asText()));
                    String exp = json.path("expiresAt").asText(null);
                    String created = json.path("createdAt").asText(null);
                    out.add(new TokenInfo(json.path("id").asText(r.key()), identityId, json.path("name").asText(""),
                            Collections.unmodifiableSet(keys), created == null ? null : Instant.parse(created),
                            exp == null ? null : Instant.parse(exp)));
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        out.sort(java.util.Comparator.comparing(TokenInfo::createdAt, java.util.Comparator.nullsFirst(
                java.util.Comparator.naturalOrder())).thenComparing(TokenInfo::id));
        return out;
    }

    /** See {@link TokenService#hasOrgKey}. */
    boolean hasOrgKey(String organizationId) {
        return !tokenIds(json -> Principal.Kind.ORG_API_KEY.name().equals(json.path("kind").asText())
                && organizationId.equals(json.path("organizationId").asText()), true).isEmpty();
    }

    /** Ids of the token records matching {@code filter}, scanning all pages (or stopping at the first). */
    List<String> tokenIds(java.util.function.Predicate<JsonNode> filter, boolean firstOnly) {
        List<String> ids = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(NAMESPACE, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                if (filter.test(parse(r))) {
                    ids.add(r.key());
                    if (firstOnly) {
                        return ids;
                    }
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return ids;
    }

    /** See {@link TokenService#recordsPerKeyVersion}. */
    Map<Integer, Long> recordsPerKeyVersion() {
        Map<Integer, Long> out = new java.util.TreeMap<>();
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(NAMESPACE, new PageRequest(500, cursor));
            for (StoredRecord r : page.items()) {
                out.merge(parse(r).path("kv").asInt(1), 1L, Long::sum);
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return out;
    }
}
