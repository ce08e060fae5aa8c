package dev.animavault.core.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.core.auth.TokenService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import java.io.IOException;
import java.time.Clock;
import java.util.Objects;

/**
 * Organizations (tenants), kept as records {@code orgs/<id>}, and the first-start initialization that
 * creates one with its owner API key.
 */
public final class Organizations {
    /** Record namespace of organizations. */
    public static final String NAMESPACE = "orgs";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageBackend storage;
    private final TokenService tokens;
    private final Clock clock;

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
     * Creates the first organization and its owner API key.
     *
     * @throws VaultException {@code ALREADY_EXISTS} when the vault is already initialized
     */
    public TokenService.Issued initialize(String organizationId, String name) {
        if (initialized()) {
            throw new VaultException(ErrorCode.ALREADY_EXISTS, "the vault is already initialized");
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

    private void create(String id, String name) {
        Names.identityId(id);
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("name", name);
        json.put("createdAt", clock.instant().toString());
        try {
            storage.putRecord(NAMESPACE, id, JSON.writeValueAsBytes(json), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
