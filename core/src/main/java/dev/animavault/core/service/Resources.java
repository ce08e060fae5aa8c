package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What the resource services of this package share: storage, the barrier, the enabled credential types
 * and the lookups and checks several of them make. Package-private; thread-safe (immutable but for the memo of
 * identities written to, {@link WriteIdentities}).
 */
final class Resources {
    /** How often a write that lost a race to another writer is retried. */
    static final int WRITE_RETRIES = 5;

    final StorageBackend storage;
    final Barrier barrier;
    final Map<String, CredentialType> types;
    final Clock clock;
    final int maxValueBytes;
    final boolean sealValues;
    /** Rotation policy, expiry and old-version rules (dev.animavault.core.rotation); NONE without it. */
    final SecretLifecycle lifecycle;
    /** Identities secrets were created for lately, kept coherent with storage's change notifications. */
    final WriteIdentities writeIdentities = new WriteIdentities();

    Resources(StorageBackend storage, Barrier barrier, Map<String, CredentialType> types, Clock clock,
              int maxValueBytes, SecretLifecycle lifecycle) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.barrier = Objects.requireNonNull(barrier, "barrier is null");
        this.types = Map.copyOf(types);
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.maxValueBytes = maxValueBytes;
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle is null");
        this.sealValues = storage.protection() == Protection.NONE;
    }

    static VaultException denied(String message) {
        return Authorizer.denied(message);
    }

    Identity requireIdentity(String org, String id) {
        return storage.getIdentity(org, id).orElseThrow(() -> new VaultException(ErrorCode.IDENTITY_NOT_FOUND,
                "identity " + id + " does not exist"));
    }

    /**
     * The identity a secret is created for: from {@link #writeIdentities} when a create for it ran lately, else
     * read (and its row MAC checked) like {@link #requireIdentity}.
     */
    Identity identityForWrite(String org, String id) {
        return writeIdentities.get(org, id, () -> requireIdentity(org, id));
    }

    static VaultException secretNotFound(SecretRef ref) {
        return new VaultException(ErrorCode.SECRET_NOT_FOUND, "identity " + ref.identityId() + " has no secret "
                + ref.key());
    }

    CredentialType requireType(String type) {
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

    void checkValue(CredentialType type, SecretValue value, Map<String, String> metadata) {
        int limit = Math.min(maxValueBytes, type.maxValueBytes());
        if (value.length() > limit) {
            throw new VaultException(ErrorCode.VALUE_TOO_LARGE, "value is " + value.length() + " bytes; the limit for "
                    + "type " + type.id() + " is " + limit + " bytes");
        }
        type.validate(value, metadata);
    }

    static int nextVersion(SecretMetadata m) {
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

    byte[] protect(SecretRef ref, int version, SecretValue value) {
        byte[] plain = value.bytes();
        try {
            return sealValues ? barrier.seal(ref, version, plain) : plain.clone();
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    byte[] unprotect(SecretRef ref, int version, byte[] stored) {
        return sealValues ? barrier.open(ref, version, stored) : stored;
    }
}
