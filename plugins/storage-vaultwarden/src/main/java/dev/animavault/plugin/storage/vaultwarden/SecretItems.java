package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Secrets in the {@link VaultwardenStorageBackend}: one item per secret in its identity's collection, with
 * every version in it (see {@link ItemMapper}). Reads re-read the item and check it belongs to the secret
 * asked for; writes hold the secret's lock (and the identity's, to create) and are called by the backend
 * under the sync lock. Thread-safe.
 */
final class SecretItems {
    private final SyncedIndex sync;
    private final ItemStore items;
    private final ItemLocks locks;

    SecretItems(SyncedIndex sync, ItemStore items, ItemLocks locks) {
        this.sync = sync;
        this.items = items;
        this.locks = locks;
    }

    SecretMetadata create(SecretMetadata metadata, SecretVersion firstVersion) {
        SecretRef ref = metadata.ref();
        return locks.withLock(ItemLocks.identity(ref.organizationId(), ref.identityId()),
                () -> locks.withLock(ItemLocks.secret(ref), () -> {
                    ItemIndex ix = sync.current();
                    if (ix.identities(ref.organizationId()).get(ref.identityId()) == null) {
                        throw VaultwardenStorageBackend.identityNotFound(ref.identityId());
                    }
                    ItemIndex.IdKey idKey = new ItemIndex.IdKey(ref.organizationId(), ref.identityId());
                    ItemIndex.Entry<SecretMetadata> existing = ix.secrets(idKey).get(ref.key());
                    if (existing != null) {
                        if (items.fetch(existing.cipherId()).isPresent()) {
                            throw new VaultException(ErrorCode.ALREADY_EXISTS, "secret '" + ref.key() + "' already exists");
                        }
                        ix.secrets(idKey).remove(ref.key(), existing);
                    }
                    String collectionId = ix.collectionsByExternalId.get(
                            ItemIndex.externalId(ref.organizationId(), ref.identityId()));
                    if (collectionId == null) {
                        throw VaultwardenStorageBackend.identityNotFound(ref.identityId());
                    }
                    SecretMetadata stored = metadata.withRevision(1);
                    Item item = items.newItem(collectionId);
                    item.type = ItemMapper.isLoginType(metadata.type()) ? Item.LOGIN : Item.SECURE_NOTE;
                    ItemMapper.encodeSecret(stored, List.of(firstVersion), item);
                    String id = items.createCipher(item);
                    ix.secrets(idKey).put(ref.key(), new ItemIndex.Entry<>(id, stored));
                    return stored;
                }));
    }

    /** The secret as stored now (one re-read of its item), or empty when it does not exist. */
    Optional<ItemMapper.SecretState> read(SecretRef ref) {
        ItemIndex.IdKey idKey = new ItemIndex.IdKey(ref.organizationId(), ref.identityId());
        ItemIndex.Entry<SecretMetadata> e = sync.lookup(ix -> ix.secrets(idKey).get(ref.key()));
        if (e == null) {
            return Optional.empty();
        }
        Optional<ItemMapper.SecretState> state = items.fetch(e.cipherId()).map(item -> decodeChecked(item, ref));
        if (state.isEmpty() || state.get() == null) {
            sync.current().secrets(idKey).remove(ref.key(), e);
            return Optional.empty();
        }
        sync.current().secrets(idKey).put(ref.key(), new ItemIndex.Entry<>(e.cipherId(), state.get().metadata()));
        return state;
    }

    SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        SecretRef ref = metadata.ref();
        return update(ref, expectedRevision, state -> {
            int max = state.maxVersion();
            if (newVersion.version() <= max) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "version " + newVersion.version() + " of secret '"
                        + ref.key() + "' already exists");
            }
            if (newVersion.version() != max + 1) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version of secret '" + ref.key()
                        + "' must be " + (max + 1));
            }
            if (metadata.currentVersion() > newVersion.version()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "currentVersion of secret '" + ref.key()
                        + "' names a version that does not exist");
            }
            List<SecretVersion> versions = new ArrayList<>(state.versions());
            versions.add(newVersion);
            return versions;
        }, metadata);
    }

    SecretMetadata updateMetadata(SecretMetadata metadata, long expectedRevision) {
        SecretRef ref = metadata.ref();
        return update(ref, expectedRevision, state -> {
            if (state.version(metadata.currentVersion()) == null) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "currentVersion of secret '" + ref.key()
                        + "' names a version that does not exist");
            }
            return state.versions();
        }, metadata);
    }

    void delete(SecretRef ref, long expectedRevision) {
        locks.withLock(ItemLocks.secret(ref), () -> {
            ItemIndex.IdKey idKey = new ItemIndex.IdKey(ref.organizationId(), ref.identityId());
            ItemIndex.Entry<SecretMetadata> e = sync.current().secrets(idKey).get(ref.key());
            Item item = e == null ? null : items.fetch(e.cipherId()).orElse(null);
            ItemMapper.SecretState state = item == null ? null : decodeChecked(item, ref);
            if (state == null) {
                if (e != null) {
                    sync.current().secrets(idKey).remove(ref.key(), e);
                }
                throw notFound(ref);
            }
            ItemStore.checkRevision(state.metadata().revision(), expectedRevision, "secret '" + ref.key() + "'");
            items.deleteCipher(e.cipherId());
            sync.current().secrets(idKey).remove(ref.key());
            return null;
        });
    }

    /** Decodes a secret item; null when it does not belong to {@code ref} (never another tenant's data). */
    private static ItemMapper.SecretState decodeChecked(Item item, SecretRef ref) {
        String kind = ItemMapper.kind(item);
        if (!kind.isEmpty() && !kind.equals("secret")) {
            return null;
        }
        ItemMapper.SecretState state = ItemMapper.decodeSecret(item, ref);
        return state.metadata().ref().equals(ref) ? state : null;
    }

    private interface VersionsChange {
        List<SecretVersion> apply(ItemMapper.SecretState state);
    }

    private SecretMetadata update(SecretRef ref, long expectedRevision, VersionsChange change, SecretMetadata metadata) {
        return locks.withLock(ItemLocks.secret(ref), () -> {
            ItemIndex.IdKey idKey = new ItemIndex.IdKey(ref.organizationId(), ref.identityId());
            ItemIndex.Entry<SecretMetadata> e = sync.current().secrets(idKey).get(ref.key());
            if (e == null) {
                throw notFound(ref);
            }
            return items.updateLoop(e.cipherId(), () -> notFound(ref), item -> {
                ItemMapper.SecretState state = decodeChecked(item, ref);
                if (state == null) {
                    throw notFound(ref);
                }
                ItemStore.checkRevision(state.metadata().revision(), expectedRevision, "secret '" + ref.key() + "'");
                List<SecretVersion> versions = change.apply(state);
                SecretMetadata next = new SecretMetadata(ref, metadata.type(), metadata.currentVersion(),
                        metadata.metadata(), metadata.attributes(), state.metadata().createdAt(), metadata.updatedAt(),
                        state.metadata().revision() + 1);
                ItemMapper.encodeSecret(next, versions, item);
                return next;
            }, next -> {
                sync.current().secrets(idKey).put(ref.key(), new ItemIndex.Entry<>(e.cipherId(), next));
                return next;
            });
        });
    }

    private static VaultException notFound(SecretRef ref) {
        return new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret '" + ref.key() + "' of identity '"
                + ref.identityId() + "' does not exist");
    }
}
