package dev.animavault.core.service;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.credential.CredentialHints;
import dev.animavault.core.credential.CredentialState;
import dev.animavault.core.credential.DerivedValues;
import dev.animavault.core.credential.ReadContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredSecret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The vault's operations on identities, tokens, secrets and the audit log, with authorization (deny by
 * default) and an audit event for every one of them. The HTTP layer and the CLI call this; it knows
 * nothing of HTTP. Thread-safe.
 */
public final class VaultService {
    private static final int WRITE_RETRIES = 5;
    // how long a write waits behind the other writes of this process to the same secret
    private static final Duration MAX_WRITE_WAIT = Duration.ofSeconds(30);

    private final StorageBackend storage;
    private final Barrier barrier;
    private final TokenService tokens;
    private final AuditBroker audit;
    private final Map<String, CredentialType> types;
    private final Clock clock;
    private final int maxValueBytes;
    private final Duration maxTokenTtl;
    private final boolean sealValues;
    private final SecretWriteLocks writeLocks = new SecretWriteLocks(MAX_WRITE_WAIT);
    /** Rotation policy, expiry and old-version rules (dev.animavault.core.rotation); NONE without it. */
    private final SecretLifecycle lifecycle;
    private final DerivedValues derivedValues;

    /**
     * A secret as read for a client: metadata, the version read, the plaintext value and the fields a
     * credential type added beside it (e.g. an OAuth access token's {@code expiresAt}; usually none).
     */
    public record SecretRead(SecretMetadata metadata, int version, Instant versionCreatedAt, SecretValue value,
                             Map<String, String> fields) {
    }

    public VaultService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit,
                        Map<String, CredentialType> types, Clock clock, int maxValueBytes, Duration maxTokenTtl) {
        this(storage, barrier, tokens, audit, types, clock, maxValueBytes, maxTokenTtl, SecretLifecycle.NONE);
    }

    public VaultService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit,
                        Map<String, CredentialType> types, Clock clock, int maxValueBytes, Duration maxTokenTtl,
                        SecretLifecycle lifecycle) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle is null");
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.barrier = Objects.requireNonNull(barrier, "barrier is null");
        this.tokens = Objects.requireNonNull(tokens, "tokens is null");
        this.audit = Objects.requireNonNull(audit, "audit is null");
        this.types = Map.copyOf(types);
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.maxValueBytes = maxValueBytes;
        this.maxTokenTtl = Objects.requireNonNull(maxTokenTtl, "maxTokenTtl is null");
        this.sealValues = storage.protection() == Protection.NONE;
        this.derivedValues = new DerivedValues(storage, barrier, clock, Duration.ofSeconds(45), Duration.ofSeconds(20));
    }

    // ------------------------------------------------------------------ identities

    /** Creates an identity in the caller's organization. */
    public Identity createIdentity(RequestContext ctx, String id, String name, Map<String, String> metadata) {
        return audited(ctx, "identity.create", id, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(id);
            Names.identityName(name);
            Names.metadata(metadata);
            Instant now = clock.instant();
            return storage.createIdentity(new Identity(ctx.principal().organizationId(), id, name == null ? id : name,
                    metadata, false, now, now, 1));
        });
    }

    /** Reads an identity: organization API keys any of their organization's, identity tokens their own. */
    public Identity getIdentity(RequestContext ctx, String id) {
        return audited(ctx, "identity.read", id, null, null, () -> {
            Names.identityId(id);
            Principal p = ctx.principal();
            if (p.kind() == Principal.Kind.IDENTITY && !p.identityId().equals(id)) {
                throw denied("an identity token may read only its own identity");
            }
            return requireIdentity(p.organizationId(), id);
        });
    }

    /** Lists identities of the caller's organization. */
    public Page<Identity> listIdentities(RequestContext ctx, PageRequest page) {
        return audited(ctx, "identity.list", null, null, null, () -> {
            requireOrgKey(ctx);
            return storage.listIdentities(ctx.principal().organizationId(), page);
        });
    }

    /** Disables an identity and revokes all its tokens; its secrets stay. Idempotent. */
    public Identity disableIdentity(RequestContext ctx, String id) {
        return audited(ctx, "identity.disable", id, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(id);
            String org = ctx.principal().organizationId();
            Identity updated = null;
            for (int attempt = 0; updated == null; attempt++) {
                Identity current = requireIdentity(org, id);
                if (current.disabled()) {
                    updated = current;
                    break;
                }
                try {
                    updated = storage.updateIdentity(new Identity(org, id, current.name(), current.metadata(), true,
                            current.createdAt(), clock.instant(), current.revision()), current.revision());
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= WRITE_RETRIES) {
                        throw e;
                    }
                }
            }
            tokens.revokeAll(org, id);
            return updated;
        });
    }

    // ------------------------------------------------------------------ tokens

    /**
     * Issues an identity token; the token string is in the result, shown once.
     *
     * @param keys the secret keys the token is limited to (1 to {@link Names#MAX_TOKEN_KEYS}); empty for a
     *             token that may read all of the identity's secrets
     * @param ttl  how long the token lives (positive, at most the configured maximum); empty for no expiry
     */
    public TokenService.Issued issueIdentityToken(RequestContext ctx, String identityId, String name,
                                                  Optional<Set<String>> keys, Optional<Duration> ttl) {
        return audited(ctx, "token.issue", identityId, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            Names.tokenName(name);
            keys.ifPresent(Names::tokenKeys);
            Instant expiresAt = ttl.map(this::expiry).orElse(null);
            Identity identity = requireIdentity(ctx.principal().organizationId(), identityId);
            if (identity.disabled()) {
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            TokenService.Issued issued = tokens.issueIdentityToken(identity.organizationId(), identityId, name,
                    keys.orElse(Set.of()), expiresAt);
            // a concurrent disable may have listed the identity's tokens before this one was stored
            if (requireIdentity(identity.organizationId(), identityId).disabled()) {
                tokens.revoke(identity.organizationId(), identityId, issued.principal().tokenId());
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            return issued;
        });
    }

    private Instant expiry(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token ttl must be positive");
        }
        if (ttl.compareTo(maxTokenTtl) > 0) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token ttl is longer than the maximum of "
                    + maxTokenTtl.toDays() + " days (vault.auth.max-token-ttl)");
        }
        return clock.instant().plus(ttl);
    }

    /** Revokes one identity token. */
    public void revokeIdentityToken(RequestContext ctx, String identityId, String tokenId) {
        audited(ctx, "token.revoke", identityId, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            if (!tokens.revoke(ctx.principal().organizationId(), identityId, tokenId)) {
                throw new VaultException(ErrorCode.NOT_FOUND, "identity " + identityId + " has no token " + tokenId);
            }
            return null;
        });
    }

    /**
     * Lists an identity's tokens (metadata only: never a token or its MAC); organization API key only,
     * audited as {@code token.list}.
     */
    public List<TokenService.TokenInfo> listIdentityTokens(RequestContext ctx, String identityId) {
        return audited(ctx, "token.list", identityId, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            requireIdentity(ctx.principal().organizationId(), identityId);
            return tokens.list(ctx.principal().organizationId(), identityId);
        });
    }

    /**
     * Runs a read that needs an organization API key and touches no identity (e.g. {@code plugin.list}),
     * audited as {@code action} (which must end in {@code .list}, {@code .read} or {@code .query}).
     */
    public <T> T organizationRead(RequestContext ctx, String action, java.util.function.Supplier<T> read) {
        if (!isRead(action)) {
            throw new IllegalArgumentException("not a read action: " + action);
        }
        return audited(ctx, action, null, null, null, () -> {
            requireOrgKey(ctx);
            return read.get();
        });
    }

    /**
     * Runs an instance-level operation (the keyring's) that needs {@code permission}: an organization API key
     * or an admin session holding it. Audited as {@code action}; a write ({@code action} not ending in
     * {@code .read}/{@code .list}/{@code .query}) records its attempt first and is refused when no sink takes it.
     */
    public <T> T systemOperation(RequestContext ctx, String action, dev.animavault.core.authz.Permission permission,
                                 java.util.function.Supplier<T> op) {
        return audited(ctx, action, null, null, null, () -> {
            if (ctx.principal().kind() == Principal.Kind.IDENTITY || !ctx.principal().holds(permission)) {
                throw denied("this operation needs permission " + permission.wire());
            }
            return op.get();
        });
    }

    // ------------------------------------------------------------------ secrets

    /** Creates a secret with version 1. */
    public SecretMetadata createSecret(RequestContext ctx, String identityId, String key, SecretValue value, String type,
                                       Map<String, String> metadata) {
        return createSecret(ctx, identityId, key, value, type, metadata, SecretLifecycle.Request.NONE);
    }

    /**
     * Creates a secret with version 1 and the lifecycle asked for (rotation policy, expiry). A null
     * {@code type} takes the lifecycle's default type.
     */
    public SecretMetadata createSecret(RequestContext ctx, String identityId, String key, SecretValue value,
                                       String requestedType, Map<String, String> metadata,
                                       SecretLifecycle.Request lifecycleRequest) {
        String type = requestedType == null ? lifecycle.defaultType().orElse(null) : requestedType;
        SecretMetadata created = audited(ctx, "secret.create", identityId, key, 1, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            Names.secretKey(key);
            Names.metadata(metadata);
            CredentialType credentialType = requireType(type);
            checkValue(credentialType, value, metadata);
            Identity identity = requireIdentity(ctx.principal().organizationId(), identityId);
            if (identity.disabled()) {
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            SecretRef ref = new SecretRef(identity.organizationId(), identityId, key);
            Instant now = clock.instant();
            Map<String, String> attributes = lifecycle.forCreate(ref, credentialType, lifecycleRequest, now);
            SecretMetadata meta = new SecretMetadata(ref, type, 1, metadata,
                    CredentialHints.withHint(credentialType, value, attributes), now, now, 1);
            return storage.createSecret(meta, new SecretVersion(ref, 1, protect(ref, 1, value), now,
                    ctx.principal().actor()));
        });
        lifecycle.written(ctx, null, created);
        return created;
    }

    /**
     * Generates a value with the credential type's {@code generate(policy)} (for {@code POST} with
     * {@code generate}); the caller stores it and wipes it.
     *
     * @throws VaultException {@code INVALID_ARGUMENT} when the type cannot generate or the policy is wrong
     */
    public SecretValue generateValue(String requestedType, Map<String, String> policy) {
        String type = requestedType == null ? lifecycle.defaultType().orElse(null) : requestedType;
        CredentialType t = requireType(type);
        return t.generate(policy).orElseThrow(() -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                "credential type " + type + " cannot generate values; give 'value'"));
    }

    /** Adds a new current version to an existing secret. */
    public SecretMetadata putSecret(RequestContext ctx, String identityId, String key, SecretValue value,
                                    Optional<String> type, Optional<Map<String, String>> metadata) {
        return putSecret(ctx, identityId, key, value, type, metadata, SecretLifecycle.Request.NONE);
    }

    /** Adds a new current version, with the lifecycle change asked for (a PUT counts as a rotation). */
    public SecretMetadata putSecret(RequestContext ctx, String identityId, String key, SecretValue value,
                                    Optional<String> type, Optional<Map<String, String>> metadata,
                                    SecretLifecycle.Request lifecycleRequest) {
        SecretMetadata[] before = new SecretMetadata[1];
        SecretMetadata stored = audited(ctx, "secret.update", identityId, key, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            Names.secretKey(key);
            metadata.ifPresent(Names::metadata);
            SecretRef ref = new SecretRef(ctx.principal().organizationId(), identityId, key);
            return addVersion(ref, value, ctx.principal().actor(), type, metadata, (current, now) -> {
                before[0] = current;
                return lifecycle.forNewVersion(current, requireType(current.type()), lifecycleRequest, now);
            });
        });
        lifecycle.written(ctx, before[0], stored);
        return stored;
    }

    /**
     * Reads a secret's value: the current version, or {@code version} if given. Fails closed: when no
     * audit sink records the read, no value is returned.
     */
    public SecretRead readSecret(RequestContext ctx, String identityId, String key, OptionalInt version) {
        return readSecret(ctx, identityId, key, version, false);
    }

    /**
     * Reads a secret's value; with {@code storedForm} the value as stored, without the credential type's
     * materialization (an OAuth secret's refresh token and client secret), for organization API keys
     * only, audited as {@code secret.read_stored}.
     */
    public SecretRead readSecret(RequestContext ctx, String identityId, String key, OptionalInt version,
                                 boolean storedForm) {
        Principal p = ctx.principal();
        String action = storedForm ? "secret.read_stored" : "secret.read";
        try {
            if (storedForm && p.kind() != Principal.Kind.ORG_API_KEY) {
                throw denied("only an organization API key may read the stored form of a secret");
            }
            Names.identityId(identityId);
            Names.secretKey(key);
            if (p.kind() == Principal.Kind.IDENTITY) {
                if (!p.identityId().equals(identityId)) {
                    throw denied("this identity token may read only the secrets of identity " + p.identityId());
                }
                if (!p.allowedKeys().isEmpty() && !p.allowedKeys().contains(key)) {
                    throw denied("this identity token may not read secret " + key);
                }
            }
            SecretRef ref = new SecretRef(p.organizationId(), identityId, key);
            StoredSecret stored = storage.readSecret(ref, version).orElseThrow(() -> version.isPresent()
                    ? new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret " + key + " of identity " + identityId
                    + " has no version " + version.getAsInt())
                    : secretNotFound(ref));
            int v = stored.version().version();
            if (v != stored.metadata().currentVersion() && p.kind() == Principal.Kind.IDENTITY
                    && !lifecycle.identityMayRead(stored.metadata(), v, clock.instant())) {
                throw denied("version " + v + " of secret " + key + " is not readable by identity tokens (pending, "
                        + "or retired after its grace period)");
            }
            SecretValue plain = SecretValue.of(unprotect(ref, v, stored.version().value()));
            CredentialType type = types.get(stored.metadata().type());
            SecretValue delivered = plain;
            Map<String, String> fields = Map.of();
            boolean returned = false;
            try {
                if (type == null && !storedForm && p.kind() == Principal.Kind.IDENTITY) {
                    // without its type the stored form (e.g. an OAuth refresh token) would reach an agent
                    throw new VaultException(ErrorCode.UNKNOWN_TYPE, "credential type '" + stored.metadata().type()
                            + "' of secret " + key + " is not enabled");
                }
                if (type != null && !storedForm) {
                    ReadContext mc = materializationContext(ctx, stored.metadata(), v);
                    delivered = type.materialize(plain, mc);
                    fields = mc.responseFields();
                }
                audit.recordOrFail(event(ctx, action, AuditOutcome.SUCCESS, identityId, key, v, null));
                returned = true;
                return new SecretRead(stored.metadata(), v, stored.version().createdAt(), delivered, fields);
            } finally {
                if (delivered != plain) {
                    plain.wipe();
                }
                if (!returned) {
                    delivered.wipe();
                }
            }
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.AUDIT_UNAVAILABLE) {
                auditFailure(ctx, action, identityId, key, version.isPresent() ? version.getAsInt() : null, e);
            }
            throw e;
        } catch (RuntimeException e) {
            auditFailure(ctx, action, identityId, key, version.isPresent() ? version.getAsInt() : null,
                    new VaultException(ErrorCode.INTERNAL, "unexpected failure", e));
            throw e;
        }
    }

    /** Lists an identity's secrets (metadata only). */
    public Page<SecretMetadata> listSecrets(RequestContext ctx, String identityId, PageRequest page) {
        return audited(ctx, "secret.list", identityId, null, null, () -> {
            Names.identityId(identityId);
            Principal p = ctx.principal();
            if (p.kind() == Principal.Kind.IDENTITY && !p.identityId().equals(identityId)) {
                throw denied("this identity token may list only the secrets of identity " + p.identityId());
            }
            requireIdentity(p.organizationId(), identityId);
            Page<SecretMetadata> listed = storage.listSecrets(p.organizationId(), identityId, page);
            if (p.kind() == Principal.Kind.IDENTITY && !p.allowedKeys().isEmpty()) {
                // a token limited to some keys sees only those (pages may come back shorter; the cursor still works)
                return new Page<>(listed.items().stream().filter(m -> p.allowedKeys().contains(m.ref().key())).toList(),
                        listed.nextCursor());
            }
            return listed;
        });
    }

    /** Deletes a secret and all its versions. */
    public void deleteSecret(RequestContext ctx, String identityId, String key) {
        audited(ctx, "secret.delete", identityId, key, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            Names.secretKey(key);
            SecretRef ref = new SecretRef(ctx.principal().organizationId(), identityId, key);
            return writeLocks.withLock(ref, () -> {
                for (int attempt = 0; ; attempt++) {
                    SecretMetadata current = storage.getSecretMetadata(ref).orElseThrow(() -> secretNotFound(ref));
                    try {
                        storage.deleteSecret(ref, current.revision());
                        lifecycle.deleted(current);
                        forgetDerived(ref);
                        return null;
                    } catch (VaultException e) {
                        if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= WRITE_RETRIES) {
                            throw e;
                        }
                        SecretWriteLocks.backOff(attempt);
                    }
                }
            });
        });
    }

    // ------------------------------------------------------------------ audit

    /** Queries the audit log of the caller's organization (organization API keys only). */
    public Page<AuditEvent> queryAudit(RequestContext ctx, AuditQuery query) {
        return audited(ctx, "audit.query", query.identityId().orElse(null), null, null, () -> {
            requireOrgKey(ctx);
            if (!query.organizationId().equals(ctx.principal().organizationId())) {
                throw denied("an API key may read only its own organization's audit log");
            }
            return audit.query(query);
        });
    }

    /** Records a refused authentication (unknown or missing token). Best effort. */
    public void auditUnauthenticated(String requestId, String remoteAddress, String action, String identityId,
                                     String key) {
        Instant now = clock.instant();
        // the path comes from an unauthenticated caller: record it only when it is a valid name
        audit.record(new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, AuditOutcome.DENIED, null,
                Names.isIdentityId(identityId) ? identityId : null, Names.isSecretKey(key) ? key : null, null,
                "anonymous", requestId, remoteAddress, ErrorCode.UNAUTHENTICATED.code(), Map.of()));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Runs {@code op}, one audited operation, under the audit contract; every operation of this class (and
     * any added later) goes through here.
     *
     * <p><b>Reads</b> (actions whose last segment is {@code read}, {@code list} or {@code query}) change no
     * state and are recorded once, after {@code op}: its outcome. A successful read whose event no sink
     * records fails with {@code AUDIT_UNAVAILABLE} and its result is dropped.
     *
     * <p><b>Every other action is a state change</b> (the safe default for new actions) and is recorded
     * before and after, as HashiCorp Vault records a request and a response entry:
     * <ol>
     *   <li>an {@link AuditOutcome#ATTEMPT} event is recorded before {@code op} runs; when no sink records
     *       it, {@code op} does not run and the call fails with {@code AUDIT_UNAVAILABLE} (nothing changed);
     *   <li>{@code op} runs (authorization and validation included, so a denied or invalid attempt is on
     *       record as an attempt followed by its DENIED/FAILURE outcome);
     *   <li>the outcome event (same action, same request id, {@code details.attempt} = the attempt's event
     *       id) is recorded. A failed {@code op}'s outcome is recorded best effort and its exception is
     *       rethrown. A successful one must be recorded: if no sink records it, the call fails with
     *       {@code AUDIT_UNAVAILABLE} saying that the change was made (the trail holds its attempt).
     * </ol>
     * So no change is ever made that the audit trail does not at least show as attempted. {@code op} must
     * not change state before it has run its checks, and must not record audit events itself.
     *
     * @param action     the action, e.g. {@code secret.create}; reads end in {@code .read}, {@code .list} or
     *                   {@code .query}
     * @param identityId the identity addressed (recorded only when it is a valid identity id), or null
     * @param key        the secret key addressed (recorded only when valid), or null
     * @param version    the version addressed, or null; a {@link SecretMetadata} result's current version
     *                   replaces it in the outcome event
     */
    private <T> T audited(RequestContext ctx, String action, String identityId, String key, Integer version,
                          java.util.function.Supplier<T> op) {
        String attemptId = null;
        if (!isRead(action)) {
            AuditEvent attempt = event(ctx, action, AuditOutcome.ATTEMPT, safeIdentity(identityId), safeKey(key),
                    version, null, Map.of());
            if (!audit.record(attempt)) {
                throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "the request was refused and nothing was "
                        + "changed because no audit sink could record the attempt");
            }
            attemptId = attempt.id();
        }
        Map<String, String> details = attemptId == null ? Map.of() : Map.of("attempt", attemptId);
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            auditFailure(ctx, action, identityId, key, version, e, details);
            throw e;
        } catch (RuntimeException e) {
            auditFailure(ctx, action, identityId, key, version, new VaultException(ErrorCode.INTERNAL,
                    "unexpected failure", e), details);
            throw e;
        }
        Integer v = version;
        if (result instanceof SecretMetadata m) {
            v = m.currentVersion();
        }
        if (!audit.record(event(ctx, action, AuditOutcome.SUCCESS, identityId, key, v, null, details))) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, attemptId == null
                    ? "the request was refused because no audit sink could record it"
                    : "the change was made and its attempt is in the audit log, but no audit sink could record "
                    + "its outcome");
        }
        return result;
    }

    /** Whether an action only reads (recorded once, after); everything else is a state change. */
    static boolean isRead(String action) {
        return action.endsWith(".read") || action.endsWith(".list") || action.endsWith(".query");
    }

    private static String safeIdentity(String identityId) {
        return Names.isIdentityId(identityId) ? identityId : null;
    }

    private static String safeKey(String key) {
        return Names.isSecretKey(key) ? key : null;
    }

    private void auditFailure(RequestContext ctx, String action, String identityId, String key, Integer version,
                              VaultException e) {
        auditFailure(ctx, action, identityId, key, version, e, Map.of());
    }

    private void auditFailure(RequestContext ctx, String action, String identityId, String key, Integer version,
                              VaultException e, Map<String, String> details) {
        AuditOutcome outcome = e.errorCode() == ErrorCode.PERMISSION_DENIED
                || e.errorCode() == ErrorCode.UNAUTHENTICATED ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
        audit.record(event(ctx, action, outcome, safeIdentity(identityId), safeKey(key), version,
                e.errorCode().code(), details));
    }

    private AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                             Integer version, String errorCode) {
        return event(ctx, action, outcome, identityId, key, version, errorCode, Map.of());
    }

    private AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                             Integer version, String errorCode, Map<String, String> details) {
        Instant now = clock.instant();
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome,
                ctx.principal().organizationId(), identityId, key, version, ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress(), errorCode, details);
    }

    private static void requireOrgKey(RequestContext ctx) {
        if (ctx.principal().kind() != Principal.Kind.ORG_API_KEY) {
            throw denied("this operation needs an organization API key; identity tokens may only read their own "
                    + "identity's secrets");
        }
    }

    private static VaultException denied(String message) {
        return new VaultException(ErrorCode.PERMISSION_DENIED, message);
    }

    private Identity requireIdentity(String org, String id) {
        return storage.getIdentity(org, id).orElseThrow(() -> new VaultException(ErrorCode.IDENTITY_NOT_FOUND,
                "identity " + id + " does not exist"));
    }

    private static VaultException secretNotFound(SecretRef ref) {
        return new VaultException(ErrorCode.SECRET_NOT_FOUND, "identity " + ref.identityId() + " has no secret "
                + ref.key());
    }

    private CredentialType requireType(String type) {
        if (type == null || type.isBlank()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "type is required; enabled types: "
                    + new TreeSet<>(types.keySet()));
        }
        CredentialType t = types.get(type);
        if (t == null) {
            throw new VaultException(ErrorCode.UNKNOWN_TYPE, "credential type '" + type + "' is not enabled; enabled "
                    + "types: " + new TreeSet<>(types.keySet()));
        }
        return t;
    }

    private void checkValue(CredentialType type, SecretValue value, Map<String, String> metadata) {
        int limit = Math.min(maxValueBytes, type.maxValueBytes());
        if (value.length() > limit) {
            throw new VaultException(ErrorCode.VALUE_TOO_LARGE, "value is " + value.length() + " bytes; the limit for "
                    + "type " + type.id() + " is " + limit + " bytes");
        }
        type.validate(value, metadata);
    }

    private static int nextVersion(SecretMetadata m) {
        String pending = m.attributes().get("pendingVersion");
        int highest = m.currentVersion();
        if (pending != null) {
            try {
                highest = Math.max(highest, Integer.parseInt(pending));
            } catch (NumberFormatException e) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "secret " + m.ref().key()
                        + " has a malformed pendingVersion attribute");
            }
        }
        return highest + 1;
    }

    private byte[] protect(SecretRef ref, int version, SecretValue value) {
        byte[] plain = value.bytes();
        try {
            return sealValues ? barrier.seal(ref, version, plain) : plain.clone();
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private byte[] unprotect(SecretRef ref, int version, byte[] stored) {
        return sealValues ? barrier.open(ref, version, stored) : stored;
    }

    /**
     * Adds {@code value} as the new current version of an existing secret. Writes of this process to one
     * secret take turns ({@link SecretWriteLocks}); a writer elsewhere (another node, a person editing the
     * item) can still take the revision or version number first, and then the write is retried after a
     * short random pause, a bounded number of times.
     */
    private SecretMetadata addVersion(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                      Optional<Map<String, String>> metadata,
                                      java.util.function.BiFunction<SecretMetadata, Instant, Map<String, String>> attributes) {
        return addVersion(ref, value, createdBy, type, metadata, attributes, OptionalInt.empty());
    }

    /** As above; with {@code expectedCurrent}, only while that is still the current version. */
    private SecretMetadata addVersion(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                      Optional<Map<String, String>> metadata,
                                      java.util.function.BiFunction<SecretMetadata, Instant, Map<String, String>> attributes,
                                      OptionalInt expectedCurrent) {
        return writeLocks.withLock(ref,
                () -> addVersionLocked(ref, value, createdBy, type, metadata, attributes, expectedCurrent));
    }

    private SecretMetadata addVersionLocked(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                            Optional<Map<String, String>> metadata,
                                            java.util.function.BiFunction<SecretMetadata, Instant, Map<String, String>> attributes,
                                            OptionalInt expectedCurrent) {
        for (int attempt = 0; ; attempt++) {
            SecretMetadata current = storage.getSecretMetadata(ref).orElseThrow(() -> secretNotFound(ref));
            if (expectedCurrent.isPresent() && current.currentVersion() != expectedCurrent.getAsInt()) {
                throw new VaultException(ErrorCode.REVISION_CONFLICT, "secret " + ref.key() + " has a newer version "
                        + current.currentVersion() + " than " + expectedCurrent.getAsInt());
            }
            if (type.isPresent() && !type.get().equals(current.type())) {
                throw new VaultException(ErrorCode.TYPE_MISMATCH, "secret " + ref.key() + " has type "
                        + current.type() + "; a new version cannot change it to " + type.get());
            }
            CredentialType credentialType = requireType(current.type());
            checkValue(credentialType, value, metadata.orElse(current.metadata()));
            int next = nextVersion(current);
            Instant now = clock.instant();
            SecretMetadata updated = new SecretMetadata(ref, current.type(), next, metadata.orElse(current.metadata()),
                    CredentialHints.withHint(credentialType, value,
                            CredentialState.cleared(attributes.apply(current, now))), current.createdAt(),
                    now, current.revision());
            try {
                return storage.addVersion(updated, current.revision(), new SecretVersion(ref, next,
                        protect(ref, next, value), now, createdBy));
            } catch (VaultException e) {
                boolean lostRace = e.errorCode() == ErrorCode.REVISION_CONFLICT
                        || e.errorCode() == ErrorCode.ALREADY_EXISTS;
                if (!lostRace || attempt >= WRITE_RETRIES) {
                    throw e;
                }
                SecretWriteLocks.backOff(attempt);
            }
        }
    }

    // ------------------------------------------------------------------ materialization (core.credential)

    /**
     * Refreshes the derived value (OAuth access token) of a secret with a rotation policy ahead of its
     * refreshAt, for {@link dev.animavault.core.credential.CredentialRefresher}: the ordinary materialization
     * of the current version with a system actor ({@code apikey:system:credential-refresh}) and a lead time,
     * its result discarded (the cache keeps it). Audited {@code secret.refresh} with detail
     * {@code trigger: ahead}. Does nothing when the secret, its policy or its type is gone.
     */
    public void refreshAhead(SecretRef ref, Duration ahead) {
        StoredSecret stored = storage.readSecret(ref, OptionalInt.empty()).orElse(null);
        if (stored == null || !dev.animavault.core.credential.CredentialRefresher.refreshedAhead(stored.metadata())) {
            return;
        }
        CredentialType type = types.get(stored.metadata().type());
        if (type == null) {
            return;
        }
        RequestContext ctx = new RequestContext("refresh-" + audit.newEventId(clock.instant().toEpochMilli()), null,
                new Principal(Principal.Kind.ORG_API_KEY, ref.organizationId(), null, "system:credential-refresh",
                        Set.of(), null));
        int v = stored.version().version();
        SecretValue plain = SecretValue.of(unprotect(ref, v, stored.version().value()));
        try {
            SecretValue out = type.materialize(plain, materializationContext(ctx, stored.metadata(), v, ahead));
            if (out != plain) {
                out.wipe();
            }
            audit.record(event(ctx, "secret.refresh", AuditOutcome.SUCCESS, ref.identityId(), ref.key(), v, null,
                    Map.of("trigger", "ahead")));
        } catch (VaultException e) {
            auditFailure(ctx, "secret.refresh", ref.identityId(), ref.key(), v, e, Map.of("trigger", "ahead"));
            throw e;
        } finally {
            plain.wipe();
        }
    }

    /** The credential cache this service's reads use (for the proactive refresher). */
    public DerivedValues derivedValues() {
        return derivedValues;
    }

    private ReadContext materializationContext(RequestContext ctx, SecretMetadata meta, int version) {
        return materializationContext(ctx, meta, version, Duration.ZERO);
    }

    private ReadContext materializationContext(RequestContext ctx, SecretMetadata meta, int version, Duration ahead) {
        return new ReadContext(meta, version, clock, derivedValues, ahead) {
            @Override
            protected int addVersion(SecretValue newValue, OptionalInt expectedCurrent) {
                // a state change inside a read: recorded before (refused when no sink takes it) and after
                AuditEvent attempt = event(ctx, "secret.refresh", AuditOutcome.ATTEMPT, meta.ref().identityId(),
                        meta.ref().key(), null, null);
                audit.recordOrFail(attempt);
                Map<String, String> details = Map.of("attempt", attempt.id());
                SecretMetadata stored;
                try {
                    stored = VaultService.this.addVersion(meta.ref(), newValue, "system:materialize", Optional.empty(),
                            Optional.empty(), (current, now) -> current.attributes(), expectedCurrent);
                } catch (VaultException e) {
                    auditFailure(ctx, "secret.refresh", meta.ref().identityId(), meta.ref().key(), null, e, details);
                    throw e;
                }
                // best effort: the read that triggered the refresh records its own event and fails closed
                audit.record(event(ctx, "secret.refresh", AuditOutcome.SUCCESS, meta.ref().identityId(),
                        meta.ref().key(), stored.currentVersion(), null, details));
                return stored.currentVersion();
            }

            @Override
            protected DerivedValues.Current readCurrent() {
                StoredSecret current = storage.readSecret(meta.ref(), OptionalInt.empty())
                        .orElseThrow(() -> secretNotFound(meta.ref()));
                int v = current.version().version();
                return new DerivedValues.Current(current.metadata().createdAt(), v,
                        SecretValue.of(unprotect(meta.ref(), v, current.version().value())));
            }

            @Override
            protected void reauthorizationRequired(int v) {
                audit.record(event(ctx, "secret.reauthorization_required", AuditOutcome.FAILURE,
                        meta.ref().identityId(), meta.ref().key(), v, ErrorCode.REAUTHORIZATION_REQUIRED.code()));
                // listings show it (the read path keeps learning it from the cache record)
                CredentialState.markReauthorizationRequired(storage, meta.ref(), v);
            }
        };
    }

    private void forgetDerived(SecretRef ref) {
        try {
            derivedValues.forget(ref);
        } catch (VaultException e) {
            // entries name the secret's creation time, so a stale one is never used by a re-created secret
        }
    }

}
