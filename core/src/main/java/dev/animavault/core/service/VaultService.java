package dev.animavault.core.service;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.credential.CredentialHints;
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

    private final StorageBackend storage;
    private final Barrier barrier;
    private final TokenService tokens;
    private final AuditBroker audit;
    private final Map<String, CredentialType> types;
    private final Clock clock;
    private final int maxValueBytes;
    private final boolean sealValues;
    private final DerivedValues derivedValues;

    /**
     * A secret as read for a client: metadata, the version read, the plaintext value and the fields a
     * credential type added beside it (e.g. an OAuth access token's {@code expiresAt}; usually none).
     */
    public record SecretRead(SecretMetadata metadata, int version, Instant versionCreatedAt, SecretValue value,
                             Map<String, String> fields) {
    }

    public VaultService(StorageBackend storage, Barrier barrier, TokenService tokens, AuditBroker audit,
                        Map<String, CredentialType> types, Clock clock, int maxValueBytes) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.barrier = Objects.requireNonNull(barrier, "barrier is null");
        this.tokens = Objects.requireNonNull(tokens, "tokens is null");
        this.audit = Objects.requireNonNull(audit, "audit is null");
        this.types = Map.copyOf(types);
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.maxValueBytes = maxValueBytes;
        this.sealValues = storage.protection() == Protection.NONE;
        this.derivedValues = new DerivedValues(storage, barrier, clock, Duration.ofSeconds(45), Duration.ofSeconds(20));
    }

    // ------------------------------------------------------------------ identities

    /** Creates an identity in the caller's organization. */
    public Identity createIdentity(RequestContext ctx, String id, String name, Map<String, String> metadata) {
        return audited(ctx, "identity.create", id, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(id);
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

    /** Issues an identity token; the token string is in the result, shown once. */
    public TokenService.Issued issueIdentityToken(RequestContext ctx, String identityId, String name, Set<String> keys,
                                                  Instant expiresAt) {
        return audited(ctx, "token.issue", identityId, null, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            keys.forEach(Names::secretKey);
            Identity identity = requireIdentity(ctx.principal().organizationId(), identityId);
            if (identity.disabled()) {
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token expiry must be in the future");
            }
            TokenService.Issued issued = tokens.issueIdentityToken(identity.organizationId(), identityId, name, keys,
                    expiresAt);
            // a concurrent disable may have listed the identity's tokens before this one was stored
            if (requireIdentity(identity.organizationId(), identityId).disabled()) {
                tokens.revoke(identity.organizationId(), identityId, issued.principal().tokenId());
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            return issued;
        });
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

    // ------------------------------------------------------------------ secrets

    /** Creates a secret with version 1. */
    public SecretMetadata createSecret(RequestContext ctx, String identityId, String key, SecretValue value, String type,
                                       Map<String, String> metadata) {
        return audited(ctx, "secret.create", identityId, key, 1, () -> {
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
            SecretMetadata meta = new SecretMetadata(ref, type, 1, metadata,
                    CredentialHints.withHint(credentialType, value, Map.of()), now, now, 1);
            return storage.createSecret(meta, new SecretVersion(ref, 1, protect(ref, 1, value), now,
                    ctx.principal().actor()));
        });
    }

    /**
     * Generates a value with the credential type's {@code generate(policy)} (for {@code POST} with
     * {@code generate}); the caller stores it and wipes it.
     *
     * @throws VaultException {@code INVALID_ARGUMENT} when the type cannot generate or the policy is wrong
     */
    public SecretValue generateValue(String type, Map<String, String> policy) {
        CredentialType t = requireType(type);
        return t.generate(policy).orElseThrow(() -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                "credential type " + type + " cannot generate values; give 'value'"));
    }

    /** Adds a new current version to an existing secret. */
    public SecretMetadata putSecret(RequestContext ctx, String identityId, String key, SecretValue value,
                                    Optional<String> type, Optional<Map<String, String>> metadata) {
        return audited(ctx, "secret.update", identityId, key, null, () -> {
            requireOrgKey(ctx);
            Names.identityId(identityId);
            Names.secretKey(key);
            metadata.ifPresent(Names::metadata);
            SecretRef ref = new SecretRef(ctx.principal().organizationId(), identityId, key);
            return addVersion(ref, value, ctx.principal().actor(), type, metadata);
        });
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
            for (int attempt = 0; ; attempt++) {
                SecretMetadata current = storage.getSecretMetadata(ref).orElseThrow(() -> secretNotFound(ref));
                try {
                    storage.deleteSecret(ref, current.revision());
                    forgetDerived(ref);
                    return null;
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= WRITE_RETRIES) {
                        throw e;
                    }
                }
            }
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

    private <T> T audited(RequestContext ctx, String action, String identityId, String key, Integer version,
                          java.util.function.Supplier<T> op) {
        T result;
        try {
            result = op.get();
        } catch (VaultException e) {
            auditFailure(ctx, action, identityId, key, version, e);
            throw e;
        } catch (RuntimeException e) {
            auditFailure(ctx, action, identityId, key, version, new VaultException(ErrorCode.INTERNAL,
                    "unexpected failure", e));
            throw e;
        }
        Integer v = version;
        if (result instanceof SecretMetadata m) {
            v = m.currentVersion();
        }
        audit.recordOrFail(event(ctx, action, AuditOutcome.SUCCESS, identityId, key, v, null));
        return result;
    }

    private void auditFailure(RequestContext ctx, String action, String identityId, String key, Integer version,
                              VaultException e) {
        AuditOutcome outcome = e.errorCode() == ErrorCode.PERMISSION_DENIED
                || e.errorCode() == ErrorCode.UNAUTHENTICATED ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
        String safeIdentity = Names.isIdentityId(identityId) ? identityId : null;
        String safeKey = Names.isSecretKey(key) ? key : null;
        audit.record(event(ctx, action, outcome, safeIdentity, safeKey, version, e.errorCode().code()));
    }

    private AuditEvent event(RequestContext ctx, String action, AuditOutcome outcome, String identityId, String key,
                             Integer version, String errorCode) {
        Instant now = clock.instant();
        return new AuditEvent(audit.newEventId(now.toEpochMilli()), now, action, outcome,
                ctx.principal().organizationId(), identityId, key, version, ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress(), errorCode, Map.of());
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
     * Adds {@code value} as the new current version of an existing secret, retrying when a concurrent
     * writer took the revision or the version number first.
     */
    private SecretMetadata addVersion(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                      Optional<Map<String, String>> metadata) {
        return addVersion(ref, value, createdBy, type, metadata, OptionalInt.empty());
    }

    /** As above; with {@code expectedCurrent}, only while that is still the current version. */
    private SecretMetadata addVersion(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                      Optional<Map<String, String>> metadata, OptionalInt expectedCurrent) {
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
                    CredentialHints.withHint(credentialType, value, current.attributes()), current.createdAt(), now,
                    current.revision());
            try {
                return storage.addVersion(updated, current.revision(), new SecretVersion(ref, next,
                        protect(ref, next, value), now, createdBy));
            } catch (VaultException e) {
                boolean lostRace = e.errorCode() == ErrorCode.REVISION_CONFLICT
                        || e.errorCode() == ErrorCode.ALREADY_EXISTS;
                if (!lostRace || attempt >= WRITE_RETRIES) {
                    throw e;
                }
            }
        }
    }

    // ------------------------------------------------------------------ materialization (core.credential)

    private ReadContext materializationContext(RequestContext ctx, SecretMetadata meta, int version) {
        return new ReadContext(meta, version, clock, derivedValues) {
            @Override
            protected int addVersion(SecretValue newValue, OptionalInt expectedCurrent) {
                SecretMetadata stored = VaultService.this.addVersion(meta.ref(), newValue, "system:materialize",
                        Optional.empty(), Optional.empty(), expectedCurrent);
                audit.record(event(ctx, "secret.refresh", AuditOutcome.SUCCESS, meta.ref().identityId(),
                        meta.ref().key(), stored.currentVersion(), null));
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
