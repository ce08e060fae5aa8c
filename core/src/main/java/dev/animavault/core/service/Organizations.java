package dev.animavault.core.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.core.auth.TokenService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Organizations (tenants), kept as records {@code orgs/<id>}: the first-start initialization that creates
 * one with its instance owner API key, and creating, listing and disabling more of them (the instance
 * owner's {@link OrganizationService}). A disabled organization's tokens stop working
 * ({@link TokenService#organizationDisabled}). Thread-safe.
 */
public final class Organizations {
    /** Record namespace of organizations. */
    public static final String NAMESPACE = "orgs";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DISABLE_RETRIES = 5;

    private final StorageBackend storage;
    private final TokenService tokens;
    private final Clock clock;

    /** An organization as listed. */
    public record Info(String id, String name, Instant createdAt, boolean disabled, Instant disabledAt) {
    }

    public Organizations(StorageBackend storage, TokenService tokens, Clock clock) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.tokens = Objects.requireNonNull(tokens, "tokens is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
    }

    /** Whether any organization exists. */
    public boolean initialized() {
        return !storage.listRecords(NAMESPACE, PageRequest.first(1)).items().isEmpty();
    }

    /**
     * Creates an organization and its instance owner API key ({@code anima-vault init}: run by whoever
     * holds the store, so the key also holds {@code orgs:write}). Several organizations may be created
     * this way; each id only once.
     *
     * @throws VaultException {@code ALREADY_EXISTS} when that organization exists
     */
    public TokenService.Issued initialize(String organizationId, String name) {
        Names.identityId(organizationId);
        if (storage.getRecord(NAMESPACE, organizationId).isPresent()) {
            throw new VaultException(ErrorCode.ALREADY_EXISTS, "the vault is already initialized with organization "
                    + organizationId + "; create another with 'init --organization <new id>' or POST "
                    + "/v1/sys/organizations");
        }
        create(organizationId, name);
        return tokens.issueOrgKey(organizationId, "owner");
    }

    /**
     * Initializes with a given owner API key if the store is empty (bootstrap for automation); a no-op
     * when the same token is already registered. Safe when several nodes do it at once.
     */
    public void bootstrap(String organizationId, String token) {
        if (!initialized()) {
            try {
                create(organizationId, organizationId);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
            }
            tokens.registerOrgKey(organizationId, token, "bootstrap");
        } else if (storage.getRecord(NAMESPACE, organizationId).isPresent() && !tokens.hasOrgKey(organizationId)) {
            // a previous bootstrap died between creating the organization and registering its key
            tokens.registerOrgKey(organizationId, token, "bootstrap");
        }
    }

    /**
     * Creates an organization record (no key).
     *
     * @throws VaultException {@code ALREADY_EXISTS} when it exists, {@code INVALID_NAME} for a bad id
     */
    public Info create(String id, String name) {
        Names.identityId(id);
        Names.identityName(name);
        Instant now = clock.instant();
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("name", name == null ? id : name);
        json.put("createdAt", now.toString());
        if (storage.getRecord(NAMESPACE, id).isPresent()) {
            throw new VaultException(ErrorCode.ALREADY_EXISTS, "organization " + id + " already exists");
        }
        put(id, json, 0);
        return info(json);
    }

    /** One page of organizations, in id order. */
    public Page<Info> list(PageRequest page) {
        Page<StoredRecord> records = storage.listRecords(NAMESPACE, page);
        return new Page<>(records.items().stream().map(r -> info(parse(r))).toList(), records.nextCursor());
    }

    /** An organization, if it exists. */
    public Optional<Info> get(String id) {
        return storage.getRecord(NAMESPACE, id).map(r -> info(parse(r)));
    }

    /**
     * Disables an organization: its tokens stop working at once on this node (within the token cache TTL
     * on others). Its data stays. Idempotent.
     *
     * @throws VaultException {@code NOT_FOUND} when it does not exist
     */
    public Info disable(String id) {
        for (int attempt = 0; ; attempt++) {
            StoredRecord r = storage.getRecord(NAMESPACE, id).orElseThrow(() -> new VaultException(
                    ErrorCode.NOT_FOUND, "organization " + id + " does not exist"));
            ObjectNode json = (ObjectNode) parse(r);
            if (json.path("disabled").asBoolean(false)) {
                tokens.organizationDisabled(id);
                return info(json);
            }
            json.put("disabled", true);
            json.put("disabledAt", clock.instant().toString());
            try {
                put(id, json, r.revision());
                tokens.organizationDisabled(id);
                return info(json);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= DISABLE_RETRIES) {
                    throw e;
                }
            }
        }
    }

    /**
     * Enables a disabled organization again: its tokens (not expired or revoked meanwhile) and data work
     * again. Idempotent.
     *
     * @throws VaultException {@code NOT_FOUND} when it does not exist
     */
    public Info enable(String id) {
        for (int attempt = 0; ; attempt++) {
            StoredRecord r = storage.getRecord(NAMESPACE, id).orElseThrow(() -> new VaultException(
                    ErrorCode.NOT_FOUND, "organization " + id + " does not exist"));
            ObjectNode json = (ObjectNode) parse(r);
            if (!json.path("disabled").asBoolean(false)) {
                return info(json);
            }
            json.remove("disabled");
            json.remove("disabledAt");
            try {
                put(id, json, r.revision());
                return info(json);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= DISABLE_RETRIES) {
                    throw e;
                }
            }
        }
    }

    private void put(String id, ObjectNode json, long revision) {
        try {
            storage.putRecord(NAMESPACE, id, JSON.writeValueAsBytes(json), revision);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(StoredRecord r) {
        try {
            return JSON.readTree(r.value());
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "organization record " + r.key() + " is malformed");
        }
    }

    private static Info info(JsonNode json) {
        String created = json.path("createdAt").asText(null);
        String disabledAt = json.path("disabledAt").asText(null);
        return new Info(json.path("id").asText(), json.path("name").asText(json.path("id").asText()),
                created == null ? null : Instant.parse(created), json.path("disabled").asBoolean(false),
                disabledAt == null ? null : Instant.parse(disabledAt));
    }
}
