package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.StorageChange;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Identities: conditional creates, updates and deletes (a delete cascades to the identity's secrets),
 * and the per-request look-up. Thread-safe.
 */
final class IdentityStore {

    private final JdbcAccess db;

    IdentityStore(JdbcAccess db) {
        this.db = requireNonNull(db, "db is null");
    }

    Identity createIdentity(Identity identity) {
        requireNonNull(identity, "identity is null");
        Identity stored = normalize(identity).withRevision(1);
        // a new identity has no secrets yet (foreign key), and misses are not cached
        db.write("createIdentity", JdbcAccess.Affects.NO_SECRET, null,
                StorageChange.identity(stored.organizationId(), stored.id()), h -> {
            int n = h.createUpdate("INSERT INTO identities (org_id, id, name, metadata, disabled, created_at, "
                            + "updated_at, revision) VALUES (:org, :id, :name, :metadata, :disabled, :createdAt, "
                            + ":updatedAt, 1) ON CONFLICT DO NOTHING")
                    .bind("org", stored.organizationId())
                    .bind("id", stored.id())
                    .bind("name", stored.name())
                    .bind("metadata", StringMapJson.encode(stored.metadata()))
                    .bind("disabled", stored.disabled())
                    .bind("createdAt", Codec.micros(stored.createdAt()))
                    .bind("updatedAt", Codec.micros(stored.updatedAt()))
                    .execute();
            if (n == 0) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "identity '" + stored.id()
                        + "' already exists in organization '" + stored.organizationId() + "'");
            }
            return null;
        });
        return stored;
    }

    Optional<Identity> getIdentity(String organizationId, String identityId) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        return db.hotRead("getIdentity", HotQueries.IDENTITY_BY_ID, organizationId, identityId, null, 0, null,
                HotQueries::identityRow);
    }


    Identity updateIdentity(Identity identity, long expectedRevision) {
        requireNonNull(identity, "identity is null");
        Identity in = normalize(identity);
        return db.write("updateIdentity", JdbcAccess.Affects.ALL_SECRETS, null,
                StorageChange.identity(in.organizationId(), in.id()), h -> {
            Optional<Long> createdAt = h.createQuery("UPDATE identities SET name = :name, metadata = :metadata, "
                            + "disabled = :disabled, updated_at = :updatedAt, revision = revision + 1 "
                            + "WHERE org_id = :org AND id = :id AND revision = :expected RETURNING created_at")
                    .bind("name", in.name())
                    .bind("metadata", StringMapJson.encode(in.metadata()))
                    .bind("disabled", in.disabled())
                    .bind("updatedAt", Codec.micros(in.updatedAt()))
                    .bind("org", in.organizationId())
                    .bind("id", in.id())
                    .bind("expected", expectedRevision)
                    .mapTo(Long.class)
                    .findOne();
            if (createdAt.isEmpty()) {
                throw identityMiss(h, in.organizationId(), in.id(), expectedRevision);
            }
            return new Identity(in.organizationId(), in.id(), in.name(), in.metadata(), in.disabled(),
                    Codec.instant(createdAt.get()), in.updatedAt(), expectedRevision + 1);
        });
    }

    void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        db.write("deleteIdentity", JdbcAccess.Affects.ALL_SECRETS, null,
                StorageChange.identity(organizationId, identityId), h -> {
            // secrets and versions go with it: ON DELETE CASCADE
            int n = h.createUpdate("DELETE FROM identities WHERE org_id = :org AND id = :id AND revision = :expected")
                    .bind("org", organizationId)
                    .bind("id", identityId)
                    .bind("expected", expectedRevision)
                    .execute();
            if (n == 0) {
                throw identityMiss(h, organizationId, identityId, expectedRevision);
            }
            return null;
        });
    }


    private static VaultException identityMiss(Handle h, String org, String id, long expectedRevision) {
        Optional<Long> revision = h.createQuery("SELECT revision FROM identities WHERE org_id = :org AND id = :id")
                .bind("org", org)
                .bind("id", id)
                .mapTo(Long.class)
                .findOne();
        if (revision.isEmpty()) {
            return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + id
                    + "' does not exist in organization '" + org + "'");
        }
        return new VaultException(ErrorCode.REVISION_CONFLICT, "identity '" + id + "' in organization '" + org
                + "' is at revision " + revision.get() + ", not " + expectedRevision);
    }


    /** Cuts timestamps to the stored precision so returned objects equal later reads. */
    private static Identity normalize(Identity i) {
        return new Identity(i.organizationId(), i.id(), i.name(), i.metadata(), i.disabled(),
                Codec.stored(i.createdAt()), Codec.stored(i.updatedAt()), i.revision());
    }
}
