package dev.animavault.core.service;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.credential.DerivedValues;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The vault's operations, one service per resource, each with authorization (deny by default) and an
 * audit event for every operation ({@link OperationAudit}). The HTTP layer and the CLI call these; they
 * know nothing of HTTP. This class only wires them. Thread-safe.
 */
public final class VaultService {
    private final OperationAudit audit;
    private final IdentityService identities;
    private final TokenAdminService tokens;
    private final SecretWriteService secretWrites;
    private final SecretReadService secretReads;
    private final AuditQueryService auditQueries;
    private final ApiKeyService apiKeys;

    public VaultService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit,
                        Map<String, CredentialType> types, Clock clock, int maxValueBytes, Duration maxTokenTtl) {
        this(storage, barrier, tokens, audit, types, clock, maxValueBytes, maxTokenTtl, SecretLifecycle.NONE);
    }

    public VaultService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit,
                        Map<String, CredentialType> types, Clock clock, int maxValueBytes, Duration maxTokenTtl,
                        SecretLifecycle lifecycle) {
        Resources r = new Resources(storage, barrier, types, clock, maxValueBytes, lifecycle);
        if (storage instanceof ChangeNotifying notifying) {
            // identities changed by any node sharing the storage leave the creates' memo (the subscription ends
            // when the backend closes)
            notifying.subscribe(r.writeIdentities::changed);
        }
        this.audit = new OperationAudit(audit, clock);
        DerivedValues derived = new DerivedValues(storage, barrier, clock, Duration.ofSeconds(45),
                Duration.ofSeconds(20));
        this.identities = new IdentityService(r, tokens, this.audit);
        this.tokens = new TokenAdminService(r, tokens, this.audit, maxTokenTtl);
        this.secretWrites = new SecretWriteService(r, this.audit, derived);
        this.secretReads = new SecretReadService(r, this.audit, derived, secretWrites);
        this.auditQueries = new AuditQueryService(this.audit);
        this.apiKeys = new ApiKeyService(r, tokens, this.audit, this.tokens);
    }

    /** Scoped organization API keys: create, list, revoke. */
    public ApiKeyService apiKeys() {
        return apiKeys;
    }

    /** Identities: create, read, list, disable. */
    public IdentityService identities() {
        return identities;
    }

    /** Identity tokens: issue, list, revoke. */
    public TokenAdminService tokens() {
        return tokens;
    }

    /** Secret writes: create, update, delete. */
    public SecretWriteService secretWrites() {
        return secretWrites;
    }

    /** Secret reads: values, listings, proactive refresh. */
    public SecretReadService secretReads() {
        return secretReads;
    }

    /** Audit log queries and organization-wide reads. */
    public AuditQueryService auditQueries() {
        return auditQueries;
    }

    /** The audit contract the services run under. */
    public OperationAudit operationAudit() {
        return audit;
    }

    /**
     * Runs an instance-level operation (the keyring's) that needs {@code permission}, asked of the authorizer.
     * Audited as {@code action}; a write ({@code action} not ending in {@code .read}/{@code .list}/{@code .query})
     * records its attempt first and is refused when no sink takes it.
     */
    public <T> T systemOperation(RequestContext ctx, String action, dev.animavault.core.authz.Permission permission,
                                 java.util.function.Supplier<T> op) {
        return audit.run(ctx, action, null, null, null, () -> {
            dev.animavault.core.authz.Authorizer.require(ctx, permission);
            return op.get();
        });
    }

    /** Records a refused authentication (unknown or missing token). Best effort. */
    public void auditUnauthenticated(String requestId, String remoteAddress, String action, String identityId,
                                     String key) {
        audit.unauthenticated(requestId, remoteAddress, action, identityId, key);
    }
}
