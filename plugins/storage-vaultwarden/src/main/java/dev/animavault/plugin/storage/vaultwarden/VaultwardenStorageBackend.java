package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * A {@link StorageBackend} that keeps everything in one Vaultwarden organization, encrypted end to end
 * with Bitwarden's scheme ({@link Protection#NATIVE}), so people can see and edit agents' credentials in
 * ordinary Bitwarden apps. See {@link ItemMapper} for the item layout.
 *
 * <p><b>Organizations.</b> Every Anima organization id maps into the one configured Vaultwarden
 * organization: an identity's collection has the plaintext {@code externalId}
 * {@code <organizationId>/<identityId>} ({@code %} and {@code /} percent-encoded), and every item repeats
 * its organization and identity in fields, which reads check, so one tenant's data is never returned for
 * another.
 *
 * <p><b>Core's records</b> live as Secure Notes in a system collection ({@code externalId}
 * {@value ItemStore#SYSTEM_EXTERNAL_ID}).
 *
 * <p><b>Freshness.</b> Point reads ({@code readSecret}, {@code getSecretMetadata}, {@code getIdentity},
 * {@code getRecord}, {@code listVersions}) re-read the item with one {@code GET /api/ciphers/{id}}, so a
 * person's edit is visible at once. Name-to-item lookups and listings use an index built from
 * {@code /api/sync}; it is refreshed when the account's revision date changed, polled at most once per
 * {@code sync-interval}: listings and lookups of items created outside this backend are at most that stale.
 *
 * <p><b>Conditional writes.</b> Vaultwarden only rejects a PUT whose {@code lastKnownRevisionDate} is more
 * than a second old, so writes are serialised per item in this process, re-read the item, compare Anima's
 * revision (a field), and PUT with the revision date just read; when Vaultwarden answers "out of date" (a
 * person saved in between) the item is re-read and the write retried. One deployment (or one node) should
 * own a service account: two processes writing the same item are only protected by Vaultwarden's check.
 *
 * <p><b>Parts.</b> This class is the SPI surface and the identities; it checks arguments and that it is
 * open, and delegates: {@link SyncedIndex} (the {@link ItemIndex} and its refresh), {@link ItemStore} (item
 * and collection I/O, conditional updates), {@link ItemLocks}, {@link SecretItems}, {@link RecordItems} and
 * {@link IndexPages} (listings).
 *
 * <p>Thread-safe.
 */
final class VaultwardenStorageBackend implements StorageBackend {
    private final VaultwardenApi api;
    private final String orgId;
    private final SymmetricKey orgKey;
    private final SyncedIndex sync;
    private final ItemStore items;
    private final ItemLocks locks = new ItemLocks();
    private final SecretItems secrets;
    private final RecordItems records;
    private volatile boolean closed;

    VaultwardenStorageBackend(VaultwardenApi api, String orgId, String membershipId, SymmetricKey orgKey, Clock clock,
                              Duration syncInterval) {
        this.api = Objects.requireNonNull(api, "api is null");
        this.orgId = Objects.requireNonNull(orgId, "orgId is null");
        this.orgKey = Objects.requireNonNull(orgKey, "orgKey is null");
        Objects.requireNonNull(clock, "clock is null");
        Objects.requireNonNull(syncInterval, "syncInterval is null");
        this.sync = new SyncedIndex(api, orgId, orgKey, clock, syncInterval);
        this.items = new ItemStore(api, orgId, membershipId, orgKey);
        this.secrets = new SecretItems(sync, items, locks);
        this.records = new RecordItems(sync, items, locks, clock);
    }

    /** Builds the index and makes sure the system collection exists; called once by the factory. */
    void start(JsonNode initialSync) {
        sync.start(initialSync, items::systemCollection);
    }

    @Override
    public Protection protection() {
        return Protection.NATIVE;
    }

    // ================================================================== identities

    @Override
    public Identity createIdentity(Identity identity) {
        Objects.requireNonNull(identity, "identity is null");
        return write(() -> locks.withLock(ItemLocks.identity(identity.organizationId(), identity.id()), () -> {
            ItemIndex ix = sync.current();
            ItemIndex.IdKey idKey = new ItemIndex.IdKey(identity.organizationId(), identity.id());
            ItemIndex.Entry<Identity> existing = ix.identities(identity.organizationId()).get(identity.id());
            if (existing != null && items.fetch(existing.cipherId()).isPresent()) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "identity '" + identity.id() + "' already exists");
            }
            String externalId = ItemIndex.externalId(identity.organizationId(), identity.id());
            String collectionId = ix.collectionsByExternalId.get(externalId);
            if (collectionId == null) {
                collectionId = items.createCollection(ix, externalId,
                        "Anima: " + identity.organizationId() + " / " + identity.id());
            } else {
                // Left over by an interrupted delete: its old secrets must not come back.
                for (ItemIndex.Entry<SecretMetadata> e : List.copyOf(ix.secrets(idKey).values())) {
                    items.deleteCipher(e.cipherId());
                }
                ix.secrets.remove(idKey);
            }
            Identity stored = identity.withRevision(1);
            Item item = items.newItem(collectionId);
            ItemMapper.encodeIdentity(stored, item);
            String id = items.createCipher(item);
            ix.identities(identity.organizationId()).put(identity.id(), new ItemIndex.Entry<>(id, stored));
            return stored;
        }));
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        checkOpen();
        ItemIndex.Entry<Identity> e = sync.lookup(ix -> ix.identities(organizationId).get(identityId));
        if (e == null) {
            return Optional.empty();
        }
        return items.fetch(e.cipherId()).map(ItemMapper::decodeIdentity)
                .filter(i -> i.organizationId().equals(organizationId) && i.id().equals(identityId))
                .map(i -> cacheIdentity(e.cipherId(), i))
                .or(() -> {
                    sync.current().identities(organizationId).remove(identityId, e);
                    return Optional.empty();
                });
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        Objects.requireNonNull(identity, "identity is null");
        return write(() -> locks.withLock(ItemLocks.identity(identity.organizationId(), identity.id()), () -> {
            ItemIndex.Entry<Identity> e = sync.current().identities(identity.organizationId()).get(identity.id());
            if (e == null) {
                throw identityNotFound(identity.id());
            }
            return items.updateLoop(e.cipherId(), () -> identityNotFound(identity.id()), item -> {
                Identity current = ItemMapper.decodeIdentity(item);
                ItemStore.checkRevision(current.revision(), expectedRevision, "identity '" + identity.id() + "'");
                Identity next = new Identity(current.organizationId(), current.id(), identity.name(), identity.metadata(),
                        identity.disabled(), current.createdAt(), identity.updatedAt(), current.revision() + 1);
                ItemMapper.encodeIdentity(next, item);
                return next;
            }, next -> cacheIdentity(e.cipherId(), next));
        }));
    }

    @Override
    public void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        sync.refresh(true); // find every item of the collection, including ones people added
        write(() -> locks.withLock(ItemLocks.identity(organizationId, identityId), () -> {
            ItemIndex ix = sync.current();
            ItemIndex.IdKey idKey = new ItemIndex.IdKey(organizationId, identityId);
            ItemIndex.Entry<Identity> e = ix.identities(organizationId).get(identityId);
            Item item = e == null ? null : items.fetch(e.cipherId()).orElse(null);
            if (item == null) {
                throw identityNotFound(identityId);
            }
            ItemStore.checkRevision(ItemMapper.decodeIdentity(item).revision(), expectedRevision,
                    "identity '" + identityId + "'");
            // The identity note goes first: from then on the identity is gone, whatever happens next.
            items.deleteCipher(e.cipherId());
            ix.identities(organizationId).remove(identityId);
            for (Map.Entry<String, ItemIndex.Entry<SecretMetadata>> s : List.copyOf(ix.secrets(idKey).entrySet())) {
                locks.withLock(ItemLocks.secret(new SecretRef(organizationId, identityId, s.getKey())), () -> {
                    items.deleteCipher(s.getValue().cipherId());
                    return null;
                });
            }
            ix.secrets.remove(idKey);
            items.deleteCollection(ix, ItemIndex.externalId(organizationId, identityId), identityId);
            return null;
        }));
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        sync.refresh(false);
        return IndexPages.page(sync.current().identities(organizationId), page);
    }

    // ================================================================== secrets

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        Objects.requireNonNull(metadata, "metadata is null");
        Objects.requireNonNull(firstVersion, "firstVersion is null");
        SecretRef ref = metadata.ref();
        if (!firstVersion.ref().equals(ref) || firstVersion.version() != metadata.currentVersion()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT,
                    "the first version must belong to the secret and be its current version");
        }
        return write(() -> secrets.create(metadata, firstVersion));
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        Objects.requireNonNull(ref, "ref is null");
        Objects.requireNonNull(version, "version is null");
        checkOpen();
        return secrets.read(ref).flatMap(state -> {
            int n = version.isPresent() ? version.getAsInt() : state.metadata().currentVersion();
            SecretVersion v = state.version(n);
            return v == null ? Optional.empty() : Optional.of(new StoredSecret(state.metadata(), v));
        });
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        Objects.requireNonNull(ref, "ref is null");
        checkOpen();
        return secrets.read(ref).map(ItemMapper.SecretState::metadata);
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        Objects.requireNonNull(metadata, "metadata is null");
        Objects.requireNonNull(newVersion, "newVersion is null");
        if (!newVersion.ref().equals(metadata.ref())) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version belongs to another secret");
        }
        return write(() -> secrets.addVersion(metadata, expectedRevision, newVersion));
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        Objects.requireNonNull(metadata, "metadata is null");
        return write(() -> secrets.updateMetadata(metadata, expectedRevision));
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        Objects.requireNonNull(ref, "ref is null");
        checkOpen();
        return secrets.read(ref).map(ItemMapper.SecretState::versions).orElse(List.of());
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        Objects.requireNonNull(ref, "ref is null");
        write(() -> {
            secrets.delete(ref, expectedRevision);
            return null;
        });
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        sync.refresh(false);
        return IndexPages.page(sync.current().secrets(new ItemIndex.IdKey(organizationId, identityId)), page);
    }

    // ================================================================== records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        RecordItems.checkName(namespace, key);
        checkOpen();
        return records.get(namespace, key);
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        RecordItems.checkName(namespace, key);
        Objects.requireNonNull(value, "value is null");
        byte[] copy = value.clone();
        return write(() -> records.put(namespace, key, copy, expectedRevision));
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        RecordItems.checkName(namespace, key);
        write(() -> {
            records.delete(namespace, key, expectedRevision);
            return null;
        });
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        Objects.requireNonNull(namespace, "namespace is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        sync.refresh(false);
        return IndexPages.page(sync.current().records(namespace), page);
    }

    /**
     * An authenticated round trip to Vaultwarden ({@code GET /api/accounts/revision-date}, a few bytes; it
     * logs in first when the access token has expired). Never answers from the in-memory index, so a
     * server that is down is reported at once.
     */
    @Override
    public void probe() {
        if (closed) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the Vaultwarden backend is closed");
        }
        VaultwardenApi.Response r = api.call("GET", "/accounts/revision-date", null);
        if (!r.ok()) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "Vaultwarden answered " + r.status()
                    + " to the health probe");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        api.close();
        orgKey.wipe();
    }

    @Override
    public String toString() {
        return "VaultwardenStorageBackend[organization=" + orgId + "]";
    }

    // ================================================================== helpers

    private Identity cacheIdentity(String cipherId, Identity identity) {
        sync.current().identities(identity.organizationId()).put(identity.id(), new ItemIndex.Entry<>(cipherId, identity));
        return identity;
    }

    /** Runs a write: the backend must be open, and the index is not rebuilt while it runs. */
    private <T> T write(Supplier<T> op) {
        checkOpen();
        return sync.underReadLock(op);
    }

    private void checkOpen() {
        if (closed) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the Vaultwarden storage backend is closed");
        }
    }

    static VaultException identityNotFound(String identityId) {
        return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + identityId + "' does not exist");
    }
}
