package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.credential.CredentialHints;
import dev.animavault.core.credential.CredentialState;
import dev.animavault.core.credential.DerivedValues;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BiFunction;

/** Secret writes: create, new versions, generated values, delete. Thread-safe. */
public final class SecretWriteService {
    // how long a write waits behind the other writes of this process to the same secret
    private static final Duration MAX_WRITE_WAIT = Duration.ofSeconds(30);

    private final Resources r;
    private final OperationAudit audited;
    private final DerivedValues derivedValues;
    private final SecretWriteLocks writeLocks = new SecretWriteLocks(MAX_WRITE_WAIT);

    SecretWriteService(Resources r, OperationAudit audited, DerivedValues derivedValues) {
        this.r = r;
        this.audited = audited;
        this.derivedValues = derivedValues;
    }

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
        String type = requestedType == null ? r.lifecycle.defaultType().orElse(null) : requestedType;
        SecretMetadata created = audited.run(ctx, "secret.create", identityId, key, 1, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.SECRETS_WRITE, identityId);
            Names.secretKey(key);
            Names.metadata(metadata);
            CredentialType credentialType = r.requireType(type);
            r.checkValue(credentialType, value, metadata);
            Identity identity = r.identityForWrite(ctx.principal().organizationId(), identityId);
            if (identity.disabled()) {
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            SecretRef ref = new SecretRef(identity.organizationId(), identityId, key);
            Instant now = r.clock.instant();
            Map<String, String> attributes = r.lifecycle.forCreate(ref, credentialType, lifecycleRequest, now);
            SecretMetadata meta = new SecretMetadata(ref, type, 1, metadata,
                    CredentialHints.withHint(credentialType, value, attributes), now, now, 1);
            return r.storage.createSecret(meta, new SecretVersion(ref, 1, r.protect(ref, 1, value), now,
                    ctx.principal().actor()));
        });
        r.lifecycle.written(ctx, null, created);
        return created;
    }

    /**
     * Generates a value with the credential type's {@code generate(policy)} (for {@code POST} with
     * {@code generate}); the caller stores it and wipes it.
     *
     * @throws VaultException {@code INVALID_ARGUMENT} when the type cannot generate or the policy is wrong
     */
    public SecretValue generateValue(String requestedType, Map<String, String> policy) {
        String type = requestedType == null ? r.lifecycle.defaultType().orElse(null) : requestedType;
        CredentialType t = r.requireType(type);
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
        SecretMetadata stored = audited.run(ctx, "secret.update", identityId, key, null, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.SECRETS_WRITE, identityId);
            Names.secretKey(key);
            metadata.ifPresent(Names::metadata);
            SecretRef ref = new SecretRef(ctx.principal().organizationId(), identityId, key);
            return addVersion(ref, value, ctx.principal().actor(), type, metadata, (current, now) -> {
                before[0] = current;
                return r.lifecycle.forNewVersion(current, r.requireType(current.type()), lifecycleRequest, now);
            }, OptionalInt.empty());
        });
        r.lifecycle.written(ctx, before[0], stored);
        return stored;
    }

    /** Deletes a secret and all its versions. */
    public void deleteSecret(RequestContext ctx, String identityId, String key) {
        audited.run(ctx, "secret.delete", identityId, key, null, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.SECRETS_DELETE, identityId);
            Names.secretKey(key);
            SecretRef ref = new SecretRef(ctx.principal().organizationId(), identityId, key);
            return writeLocks.withLock(ref, () -> {
                for (int attempt = 0; ; attempt++) {
                    SecretMetadata current = r.storage.getSecretMetadata(ref)
                            .orElseThrow(() -> Resources.secretNotFound(ref));
                    try {
                        r.storage.deleteSecret(ref, current.revision());
                        r.lifecycle.deleted(current);
                        forgetDerived(ref);
                        return null;
                    } catch (VaultException e) {
                        if (e.errorCode() != ErrorCode.REVISION_CONFLICT || attempt >= Resources.WRITE_RETRIES) {
                            throw e;
                        }
                        SecretWriteLocks.backOff(attempt);
                    }
                }
            });
        });
    }

    /**
     * Adds {@code value} as the new current version of an existing secret; with {@code expectedCurrent},
     * only while that is still the current version. Writes of this process to one secret take turns
     * ({@link SecretWriteLocks}); a writer elsewhere (another node, a person editing the item) can still
     * take the revision or version number first, and then the write is retried after a short random
     * pause, a bounded number of times. Not audited here: callers record their own events.
     */
    SecretMetadata addVersion(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                              Optional<Map<String, String>> metadata,
                              BiFunction<SecretMetadata, Instant, Map<String, String>> attributes,
                              OptionalInt expectedCurrent) {
        return writeLocks.withLock(ref,
                () -> addVersionLocked(ref, value, createdBy, type, metadata, attributes, expectedCurrent));
    }

    private SecretMetadata addVersionLocked(SecretRef ref, SecretValue value, String createdBy, Optional<String> type,
                                            Optional<Map<String, String>> metadata,
                                            BiFunction<SecretMetadata, Instant, Map<String, String>> attributes,
                                            OptionalInt expectedCurrent) {
        for (int attempt = 0; ; attempt++) {
            SecretMetadata current = r.storage.getSecretMetadata(ref).orElseThrow(() -> Resources.secretNotFound(ref));
            if (expectedCurrent.isPresent() && current.currentVersion() != expectedCurrent.getAsInt()) {
                throw new VaultException(ErrorCode.REVISION_CONFLICT, "secret " + ref.key() + " has a newer version "
                        + current.currentVersion() + " than " + expectedCurrent.getAsInt());
            }
            if (type.isPresent() && !type.get().equals(current.type())) {
                throw new VaultException(ErrorCode.TYPE_MISMATCH, "secret " + ref.key() + " has type "
                        + current.type() + "; a new version cannot change it to " + type.get());
            }
            CredentialType credentialType = r.requireType(current.type());
            r.checkValue(credentialType, value, metadata.orElse(current.metadata()));
            int next = Resources.nextVersion(current);
            Instant now = r.clock.instant();
            SecretMetadata updated = new SecretMetadata(ref, current.type(), next, metadata.orElse(current.metadata()),
                    CredentialHints.withHint(credentialType, value,
                            CredentialState.cleared(attributes.apply(current, now))), current.createdAt(),
                    now, current.revision());
            try {
                return r.storage.addVersion(updated, current.revision(), new SecretVersion(ref, next,
                        r.protect(ref, next, value), now, createdBy));
            } catch (VaultException e) {
                boolean lostRace = e.errorCode() == ErrorCode.REVISION_CONFLICT
                        || e.errorCode() == ErrorCode.ALREADY_EXISTS;
                if (!lostRace || attempt >= Resources.WRITE_RETRIES) {
                    throw e;
                }
                SecretWriteLocks.backOff(attempt);
            }
        }
    }

    private void forgetDerived(SecretRef ref) {
        try {
            derivedValues.forget(ref);
        } catch (VaultException e) {
            // entries name the secret's creation time, so a stale one is never used by a re-created secret
        }
    }
}
