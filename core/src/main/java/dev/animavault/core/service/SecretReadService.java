package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.credential.CredentialRefresher;
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
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredSecret;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Secret reads: values (the agents' hot path, materialized by the credential type), listings, and the
 * proactive refresh of derived values. Thread-safe.
 */
public final class SecretReadService {
    private final Resources r;
    private final OperationAudit audited;
    private final AuditBroker audit;
    private final DerivedValues derivedValues;
    private final SecretWriteService writes;

    /**
     * A secret as read for a client: metadata, the version read, the plaintext value and the fields a
     * credential type added beside it (e.g. an OAuth access token's {@code expiresAt}; usually none).
     */
    public record SecretRead(SecretMetadata metadata, int version, Instant versionCreatedAt, SecretValue value,
                             Map<String, String> fields) {
    }

    SecretReadService(Resources r, OperationAudit audited, DerivedValues derivedValues, SecretWriteService writes) {
        this.r = r;
        this.audited = audited;
        this.audit = audited.broker();
        this.derivedValues = derivedValues;
        this.writes = writes;
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
            Names.identityId(identityId);
            Names.secretKey(key);
            Authorizer.requireSecretRead(ctx, identityId, key, storedForm);
            boolean identityToken = Authorizer.isIdentityToken(ctx);
            SecretRef ref = new SecretRef(p.organizationId(), identityId, key);
            StoredSecret stored = r.storage.readSecret(ref, version).orElseThrow(() -> version.isPresent()
                    ? versionMiss(ref, version.getAsInt())
                    : Resources.secretNotFound(ref));
            int v = stored.version().version();
            if (v != stored.metadata().currentVersion() && r.lifecycle.destroyed(stored.metadata(), v, true)) {
                throw destroyed(ref, v);
            }
            if (v != stored.metadata().currentVersion() && identityToken
                    && !r.lifecycle.identityMayRead(stored.metadata(), v, r.clock.instant())) {
                throw Resources.denied("version " + v + " of secret " + key + " is not readable by identity tokens "
                        + "(pending, or retired after its grace period)");
            }
            SecretValue plain = SecretValue.of(r.unprotect(ref, v, stored.version().value()));
            CredentialType type = r.types.get(stored.metadata().type());
            SecretValue delivered = plain;
            Map<String, String> fields = Map.of();
            boolean returned = false;
            try {
                if (type == null && !storedForm && identityToken) {
                    // without its type the stored form (e.g. an OAuth refresh token) would reach an agent
                    throw new VaultException(ErrorCode.UNKNOWN_TYPE, "credential type '" + stored.metadata().type()
                            + "' of secret " + key + " is not enabled");
                }
                if (type != null && !storedForm) {
                    ReadContext mc = materializationContext(ctx, stored.metadata(), v, Duration.ZERO);
                    delivered = type.materialize(plain, mc);
                    fields = mc.responseFields();
                }
                audit.recordOrFail(audited.event(ctx, action, AuditOutcome.SUCCESS, identityId, key, v, null));
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
                audited.failure(ctx, action, identityId, key, version.isPresent() ? version.getAsInt() : null, e);
            }
            throw e;
        } catch (RuntimeException e) {
            audited.failure(ctx, action, identityId, key, version.isPresent() ? version.getAsInt() : null,
                    new VaultException(ErrorCode.INTERNAL, "unexpected failure", e));
            throw e;
        }
    }

    /** A version not found: destroyed (410) when the secret's metadata says so, else not found (404). */
    private VaultException versionMiss(SecretRef ref, int version) {
        // off the hot path: only a read of a missing version pays this second round trip
        Optional<SecretMetadata> m = r.storage.getSecretMetadata(ref);
        if (m.isPresent() && r.lifecycle.destroyed(m.get(), version, false)) {
            return destroyed(ref, version);
        }
        return m.isEmpty() ? Resources.secretNotFound(ref) : new VaultException(ErrorCode.SECRET_NOT_FOUND,
                "secret " + ref.key() + " of identity " + ref.identityId() + " has no version " + version);
    }

    private static VaultException destroyed(SecretRef ref, int version) {
        return new VaultException(ErrorCode.VERSION_DESTROYED, "version " + version + " of secret " + ref.key()
                + " of identity " + ref.identityId() + " was destroyed after it was retired (rotation policy "
                + "retiredVersions: destroy)");
    }

    /** Lists an identity's secrets (metadata only). */
    public Page<SecretMetadata> listSecrets(RequestContext ctx, String identityId, PageRequest page) {
        return audited.run(ctx, "secret.list", identityId, null, null, () -> {
            Names.identityId(identityId);
            Authorizer.requireSecretList(ctx, identityId);
            Principal p = ctx.principal();
            Page<SecretMetadata> listed = r.storage.listSecrets(p.organizationId(), identityId, page);
            if (listed.items().isEmpty()) {
                // a secret exists only with its identity (storage deletes them with it), so only an empty page
                // must tell "no such identity" (404) from "no secrets (left)": one storage read less per page
                r.requireIdentity(p.organizationId(), identityId);
            }
            if (Authorizer.isIdentityToken(ctx) && !p.allowedKeys().isEmpty()) {
                // a token limited to some keys sees only those (pages may come back shorter; the cursor still works)
                return new Page<>(listed.items().stream().filter(m -> p.allowedKeys().contains(m.ref().key())).toList(),
                        listed.nextCursor());
            }
            return listed;
        });
    }

    // ------------------------------------------------------------------ materialization (core.credential)

    /**
     * Refreshes the derived value (OAuth access token) of a secret with a rotation policy ahead of its
     * refreshAt, for {@link CredentialRefresher}: the ordinary materialization of the current version with a
     * system actor ({@code apikey:system:credential-refresh}) and a lead time, its result discarded (the
     * cache keeps it). Audited {@code secret.refresh} with detail {@code trigger: ahead}. Does nothing when
     * the secret, its policy or its type is gone.
     */
    public void refreshAhead(SecretRef ref, Duration ahead) {
        StoredSecret stored = r.storage.readSecret(ref, OptionalInt.empty()).orElse(null);
        if (stored == null || !CredentialRefresher.refreshedAhead(stored.metadata())) {
            return;
        }
        CredentialType type = r.types.get(stored.metadata().type());
        if (type == null) {
            return;
        }
        RequestContext ctx = new RequestContext("refresh-" + audit.newEventId(r.clock.instant().toEpochMilli()), null,
                new Principal(Principal.Kind.ORG_API_KEY, ref.organizationId(), null, "system:credential-refresh",
                        Set.of(), null));
        int v = stored.version().version();
        SecretValue plain = SecretValue.of(r.unprotect(ref, v, stored.version().value()));
        try {
            SecretValue out = type.materialize(plain, materializationContext(ctx, stored.metadata(), v, ahead));
            if (out != plain) {
                out.wipe();
            }
            audit.record(audited.event(ctx, "secret.refresh", AuditOutcome.SUCCESS, ref.identityId(), ref.key(), v,
                    null, Map.of("trigger", "ahead")));
        } catch (VaultException e) {
            audited.failure(ctx, "secret.refresh", ref.identityId(), ref.key(), v, e, Map.of("trigger", "ahead"));
            throw e;
        } finally {
            plain.wipe();
        }
    }

    /** The credential cache this service's reads use (for the proactive refresher). */
    public DerivedValues derivedValues() {
        return derivedValues;
    }

    private ReadContext materializationContext(RequestContext ctx, SecretMetadata meta, int version, Duration ahead) {
        return new ReadContext(meta, version, r.clock, derivedValues, ahead) {
            @Override
            protected int addVersion(SecretValue newValue, OptionalInt expectedCurrent) {
                // a state change inside a read: recorded before (refused when no sink takes it) and after
                AuditEvent attempt = audited.event(ctx, "secret.refresh", AuditOutcome.ATTEMPT,
                        meta.ref().identityId(), meta.ref().key(), null, null);
                audit.recordOrFail(attempt);
                Map<String, String> details = Map.of("attempt", attempt.id());
                SecretMetadata stored;
                try {
                    stored = writes.addVersion(meta.ref(), newValue, "system:materialize", Optional.empty(),
                            Optional.empty(), (current, now) -> current.attributes(), expectedCurrent);
                } catch (VaultException e) {
                    audited.failure(ctx, "secret.refresh", meta.ref().identityId(), meta.ref().key(), null, e,
                            details);
                    throw e;
                }
                // best effort: the read that triggered the refresh records its own event and fails closed
                audit.record(audited.event(ctx, "secret.refresh", AuditOutcome.SUCCESS, meta.ref().identityId(),
                        meta.ref().key(), stored.currentVersion(), null, details));
                return stored.currentVersion();
            }

            @Override
            protected DerivedValues.Current readCurrent() {
                StoredSecret current = r.storage.readSecret(meta.ref(), OptionalInt.empty())
                        .orElseThrow(() -> Resources.secretNotFound(meta.ref()));
                int v = current.version().version();
                return new DerivedValues.Current(current.metadata().createdAt(), v,
                        SecretValue.of(r.unprotect(meta.ref(), v, current.version().value())));
            }

            @Override
            protected void reauthorizationRequired(int v) {
                audit.record(audited.event(ctx, "secret.reauthorization_required", AuditOutcome.FAILURE,
                        meta.ref().identityId(), meta.ref().key(), v, ErrorCode.REAUTHORIZATION_REQUIRED.code()));
                // listings show it (the read path keeps learning it from the cache record)
                CredentialState.markReauthorizationRequired(r.storage, meta.ref(), v);
            }
        };
    }
}
