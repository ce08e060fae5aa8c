package dev.animavault.spi.storage;

import java.util.Objects;

/**
 * What a committed write changed, as told by a {@link ChangeNotifying} backend to the nodes that share
 * its storage. Carries names only, never values.
 *
 * @param kind  what changed
 * @param scope for {@link Kind#IDENTITY} and {@link Kind#SECRET}: the organization; for
 *              {@link Kind#RECORD}: the record namespace; null for {@link Kind#ANY}
 * @param id    for {@link Kind#IDENTITY} and {@link Kind#SECRET}: the identity; for {@link Kind#RECORD}:
 *              the record key; null for {@link Kind#ANY}
 * @param key   for {@link Kind#SECRET}: the secret key; null otherwise
 */
public record StorageChange(Kind kind, String scope, String id, String key) {

    /** What changed. */
    public enum Kind {
        /** An identity was created, updated (e.g. disabled) or deleted. */
        IDENTITY,
        /** A secret was created, got a new version, new metadata, or was deleted. */
        SECRET,
        /** A record was written or deleted. */
        RECORD,
        /**
         * Anything may have changed (notifications may have been missed, e.g. while the backend's
         * notification channel was down): drop every cached copy of shared state.
         */
        ANY
    }

    public StorageChange {
        Objects.requireNonNull(kind, "kind is null");
        if (kind != Kind.ANY) {
            Objects.requireNonNull(scope, "scope is null");
            Objects.requireNonNull(id, "id is null");
        }
        if (kind == Kind.SECRET) {
            Objects.requireNonNull(key, "key is null");
        }
    }

    public static StorageChange identity(String organizationId, String identityId) {
        return new StorageChange(Kind.IDENTITY, organizationId, identityId, null);
    }

    public static StorageChange secret(SecretRef ref) {
        return new StorageChange(Kind.SECRET, ref.organizationId(), ref.identityId(), ref.key());
    }

    public static StorageChange record(String namespace, String recordKey) {
        return new StorageChange(Kind.RECORD, namespace, recordKey, null);
    }

    public static StorageChange any() {
        return new StorageChange(Kind.ANY, null, null, null);
    }
}
