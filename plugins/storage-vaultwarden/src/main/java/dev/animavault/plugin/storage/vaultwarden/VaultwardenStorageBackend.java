package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException;
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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

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
 * {@value #SYSTEM_EXTERNAL_ID}).
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
 * <p>Thread-safe.
 */
final class VaultwardenStorageBackend implements StorageBackend {
    static final String SYSTEM_EXTERNAL_ID = "anima-vault-system";
    private static final System.Logger LOG = System.getLogger(VaultwardenStorageBackend.class.getName());
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9_./-]{1,64}");
    private static final int MAX_OUT_OF_DATE_RETRIES = 5;

    private record IdKey(String organizationId, String identityId) {
    }

    private record Entry<T>(String cipherId, T value) {
    }

    /** The name-to-item index; maps are concurrent so readers need no lock. */
    private static final class Index {
        final Map<String, String> collectionsByExternalId = new ConcurrentHashMap<>();
        final Map<String, String> externalIdByCollection = new ConcurrentHashMap<>();
        final Map<String, ConcurrentSkipListMap<String, Entry<Identity>>> identities = new ConcurrentHashMap<>();
        final Map<IdKey, ConcurrentSkipListMap<String, Entry<SecretMetadata>>> secrets = new ConcurrentHashMap<>();
        final Map<String, ConcurrentSkipListMap<String, Entry<StoredRecord>>> records = new ConcurrentHashMap<>();

        ConcurrentSkipListMap<String, Entry<Identity>> identities(String org) {
            return identities.computeIfAbsent(org, k -> new ConcurrentSkipListMap<>());
        }

        ConcurrentSkipListMap<String, Entry<SecretMetadata>> secrets(IdKey id) {
            return secrets.computeIfAbsent(id, k -> new ConcurrentSkipListMap<>());
        }

        ConcurrentSkipListMap<String, Entry<StoredRecord>> records(String ns) {
            return records.computeIfAbsent(ns, k -> new ConcurrentSkipListMap<>());
        }
    }

    private final VaultwardenApi api;
    private final String orgId;
    private final String membershipId;
    private final SymmetricKey orgKey;
    private final Clock clock;
    private final Duration syncInterval;
    private final ReentrantReadWriteLock syncLock = new ReentrantReadWriteLock();
    private final Map<String, ReentrantLock> itemLocks = new ConcurrentHashMap<>();
    private volatile Index index = new Index();
    private volatile Instant lastRevisionCheck = Instant.EPOCH;
    private volatile long lastRevisionDate = Long.MIN_VALUE;
    private volatile boolean closed;

    VaultwardenStorageBackend(VaultwardenApi api, String orgId, String membershipId, SymmetricKey orgKey, Clock clock,
                              Duration syncInterval) {
        this.api = Objects.requireNonNull(api, "api is null");
        this.orgId = Objects.requireNonNull(orgId, "orgId is null");
        this.membershipId = membershipId;
        this.orgKey = Objects.requireNonNull(orgKey, "orgKey is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.syncInterval = Objects.requireNonNull(syncInterval, "syncInterval is null");
    }

    /** Builds the index and makes sure the system collection exists; called once by the factory. */
    void start(JsonNode initialSync) {
        syncLock.writeLock().lock();
        try {
            index = buildIndex(initialSync);
            lastRevisionCheck = clock.instant();
            if (!index.collectionsByExternalId.containsKey(SYSTEM_EXTERNAL_ID)) {
                createCollection(index, SYSTEM_EXTERNAL_ID, "Anima Vault (system records)");
            }
        } finally {
            syncLock.writeLock().unlock();
        }
    }

    @Override
    public Protection protection() {
        return Protection.NATIVE;
    }

    // ================================================================== identities

    @Override
    public Identity createIdentity(Identity identity) {
        Objects.requireNonNull(identity, "identity is null");
        return write(() -> withLock(identityLock(identity.organizationId(), identity.id()), () -> {
            Index ix = index;
            IdKey idKey = new IdKey(identity.organizationId(), identity.id());
            Entry<Identity> existing = ix.identities(identity.organizationId()).get(identity.id());
            if (existing != null && fetch(existing.cipherId()).isPresent()) {
                throw new VaultException(ErrorCode.ALREADY_EXISTS, "identity '" + identity.id() + "' already exists");
            }
            String externalId = externalId(identity.organizationId(), identity.id());
            String collectionId = ix.collectionsByExternalId.get(externalId);
            if (collectionId == null) {
                collectionId = createCollection(ix, externalId, "Anima: " + identity.organizationId() + " / " + identity.id());
            } else {
                // Left over by an interrupted delete: its old secrets must not come back.
                for (Entry<SecretMetadata> e : List.copyOf(ix.secrets(idKey).values())) {
                    deleteCipher(e.cipherId());
                }
                ix.secrets.remove(idKey);
            }
            Identity stored = identity.withRevision(1);
            Item item = new Item();
            item.organizationId = orgId;
            item.collectionIds.add(collectionId);
            ItemMapper.encodeIdentity(stored, item);
            String id = createCipher(item);
            ix.identities(identity.organizationId()).put(identity.id(), new Entry<>(id, stored));
            return stored;
        }));
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        checkOpen();
        Entry<Identity> e = lookup(() -> index.identities(organizationId).get(identityId));
        if (e == null) {
            return Optional.empty();
        }
        return fetch(e.cipherId()).map(ItemMapper::decodeIdentity)
                .filter(i -> i.organizationId().equals(organizationId) && i.id().equals(identityId))
                .map(i -> cacheIdentity(e.cipherId(), i))
                .or(() -> {
                    index.identities(organizationId).remove(identityId, e);
                    return Optional.empty();
                });
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        Objects.requireNonNull(identity, "identity is null");
        return write(() -> withLock(identityLock(identity.organizationId(), identity.id()), () -> {
            Entry<Identity> e = index.identities(identity.organizationId()).get(identity.id());
            if (e == null) {
                throw identityNotFound(identity.id());
            }
            return updateLoop(e.cipherId(), () -> identityNotFound(identity.id()), item -> {
                Identity current = ItemMapper.decodeIdentity(item);
                checkRevision(current.revision(), expectedRevision, "identity '" + identity.id() + "'");
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
        refresh(true); // find every item of the collection, including ones people added
        write(() -> withLock(identityLock(organizationId, identityId), () -> {
            Index ix = index;
            IdKey idKey = new IdKey(organizationId, identityId);
            Entry<Identity> e = ix.identities(organizationId).get(identityId);
            Item item = e == null ? null : fetch(e.cipherId()).orElse(null);
            if (item == null) {
                throw identityNotFound(identityId);
            }
            checkRevision(ItemMapper.decodeIdentity(item).revision(), expectedRevision, "identity '" + identityId + "'");
            // The identity note goes first: from then on the identity is gone, whatever happens next.
            deleteCipher(e.cipherId());
            ix.identities(organizationId).remove(identityId);
            for (Map.Entry<String, Entry<SecretMetadata>> s : List.copyOf(ix.secrets(idKey).entrySet())) {
                withLock(secretLock(new SecretRef(organizationId, identityId, s.getKey())), () -> {
                    deleteCipher(s.getValue().cipherId());
                    return null;
                });
            }
            ix.secrets.remove(idKey);
            String externalId = externalId(organizationId, identityId);
            String collectionId = ix.collectionsByExternalId.get(externalId);
            if (collectionId != null) {
                VaultwardenApi.Response r = api.call("DELETE", "/organizations/" + orgId + "/collections/" + collectionId, null);
                if (!r.ok() && r.status() != 404) {
                    throw unexpected("deleting the collection of identity '" + identityId + "'", r);
                }
                ix.collectionsByExternalId.remove(externalId);
                ix.externalIdByCollection.remove(collectionId);
            }
            return null;
        }));
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        refresh(false);
        return page(index.identities(organizationId), page);
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
        return write(() -> withLock(identityLock(ref.organizationId(), ref.identityId()),
                () -> withLock(secretLock(ref), () -> {
                    Index ix = index;
                    if (ix.identities(ref.organizationId()).get(ref.identityId()) == null) {
                        throw identityNotFound(ref.identityId());
                    }
                    IdKey idKey = new IdKey(ref.organizationId(), ref.identityId());
                    Entry<SecretMetadata> existing = ix.secrets(idKey).get(ref.key());
                    if (existing != null) {
                        if (fetch(existing.cipherId()).isPresent()) {
                            throw new VaultException(ErrorCode.ALREADY_EXISTS, "secret '" + ref.key() + "' already exists");
                        }
                        ix.secrets(idKey).remove(ref.key(), existing);
                    }
                    String collectionId = ix.collectionsByExternalId.get(externalId(ref.organizationId(), ref.identityId()));
                    if (collectionId == null) {
                        throw identityNotFound(ref.identityId());
                    }
                    SecretMetadata stored = metadata.withRevision(1);
                    Item item = new Item();
                    item.organizationId = orgId;
                    item.collectionIds.add(collectionId);
                    item.type = ItemMapper.isLoginType(metadata.type()) ? Item.LOGIN : Item.SECURE_NOTE;
                    ItemMapper.encodeSecret(stored, List.of(firstVersion), item);
                    String id = createCipher(item);
                    ix.secrets(idKey).put(ref.key(), new Entry<>(id, stored));
                    return stored;
                })));
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        Objects.requireNonNull(ref, "ref is null");
        Objects.requireNonNull(version, "version is null");
        checkOpen();
        return readState(ref).flatMap(state -> {
            int n = version.isPresent() ? version.getAsInt() : state.metadata().currentVersion();
            SecretVersion v = state.version(n);
            return v == null ? Optional.empty() : Optional.of(new StoredSecret(state.metadata(), v));
        });
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        Objects.requireNonNull(ref, "ref is null");
        checkOpen();
        return readState(ref).map(ItemMapper.SecretState::metadata);
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        Objects.requireNonNull(metadata, "metadata is null");
        Objects.requireNonNull(newVersion, "newVersion is null");
        SecretRef ref = metadata.ref();
        if (!newVersion.ref().equals(ref)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the new version belongs to another secret");
        }
        return updateSecret(ref, expectedRevision, state -> {
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

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        Objects.requireNonNull(metadata, "metadata is null");
        SecretRef ref = metadata.ref();
        return updateSecret(ref, expectedRevision, state -> {
            if (state.version(metadata.currentVersion()) == null) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "currentVersion of secret '" + ref.key()
                        + "' names a version that does not exist");
            }
            return state.versions();
        }, metadata);
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        Objects.requireNonNull(ref, "ref is null");
        checkOpen();
        return readState(ref).map(ItemMapper.SecretState::versions).orElse(List.of());
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        Objects.requireNonNull(ref, "ref is null");
        write(() -> withLock(secretLock(ref), () -> {
            IdKey idKey = new IdKey(ref.organizationId(), ref.identityId());
            Entry<SecretMetadata> e = index.secrets(idKey).get(ref.key());
            Item item = e == null ? null : fetch(e.cipherId()).orElse(null);
            ItemMapper.SecretState state = item == null ? null : decodeSecretChecked(item, ref);
            if (state == null) {
                if (e != null) {
                    index.secrets(idKey).remove(ref.key(), e);
                }
                throw secretNotFound(ref);
            }
            checkRevision(state.metadata().revision(), expectedRevision, "secret '" + ref.key() + "'");
            deleteCipher(e.cipherId());
            index.secrets(idKey).remove(ref.key());
            return null;
        }));
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        refresh(false);
        return page(index.secrets(new IdKey(organizationId, identityId)), page);
    }

    // ================================================================== records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        checkRecordName(namespace, key);
        checkOpen();
        Entry<StoredRecord> e = lookup(() -> index.records(namespace).get(key));
        if (e == null) {
            return Optional.empty();
        }
        Optional<StoredRecord> r = fetch(e.cipherId()).map(ItemMapper::decodeRecord)
                .filter(rec -> rec.namespace().equals(namespace) && rec.key().equals(key));
        if (r.isEmpty()) {
            index.records(namespace).remove(key, e);
        } else {
            index.records(namespace).put(key, new Entry<>(e.cipherId(), r.get()));
        }
        return r;
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        checkRecordName(namespace, key);
        Objects.requireNonNull(value, "value is null");
        byte[] copy = value.clone();
        return write(() -> withLock("record:" + namespace + "/" + key, () -> {
            Index ix = index;
            Entry<StoredRecord> e = ix.records(namespace).get(key);
            if (expectedRevision == 0) {
                if (e != null && fetch(e.cipherId()).isPresent()) {
                    throw new VaultException(ErrorCode.ALREADY_EXISTS, "record '" + namespace + "/" + key + "' already exists");
                }
                StoredRecord stored = new StoredRecord(namespace, key, copy, 1, clock.instant());
                Item item = new Item();
                item.organizationId = orgId;
                item.collectionIds.add(systemCollection(ix));
                ItemMapper.encodeRecord(stored, item);
                String id = createCipher(item);
                ix.records(namespace).put(key, new Entry<>(id, stored));
                return stored;
            }
            Supplier<VaultException> notFound = () -> new VaultException(ErrorCode.NOT_FOUND,
                    "record '" + namespace + "/" + key + "' does not exist");
            if (e == null) {
                throw notFound.get();
            }
            return updateLoop(e.cipherId(), notFound, item -> {
                StoredRecord current = ItemMapper.decodeRecord(item);
                checkRevision(current.revision(), expectedRevision, "record '" + namespace + "/" + key + "'");
                StoredRecord next = new StoredRecord(namespace, key, copy, current.revision() + 1, clock.instant());
                ItemMapper.encodeRecord(next, item);
                return next;
            }, next -> {
                ix.records(namespace).put(key, new Entry<>(e.cipherId(), next));
                return next;
            });
        }));
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        checkRecordName(namespace, key);
        write(() -> withLock("record:" + namespace + "/" + key, () -> {
            Entry<StoredRecord> e = index.records(namespace).get(key);
            Item item = e == null ? null : fetch(e.cipherId()).orElse(null);
            if (item == null) {
                throw new VaultException(ErrorCode.NOT_FOUND, "record '" + namespace + "/" + key + "' does not exist");
            }
            checkRevision(ItemMapper.decodeRecord(item).revision(), expectedRevision, "record '" + namespace + "/" + key + "'");
            deleteCipher(e.cipherId());
            index.records(namespace).remove(key);
            return null;
        }));
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        Objects.requireNonNull(namespace, "namespace is null");
        Objects.requireNonNull(page, "page is null");
        checkOpen();
        refresh(false);
        return page(index.records(namespace), page);
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

    // ================================================================== secret internals

    private Optional<ItemMapper.SecretState> readState(SecretRef ref) {
        IdKey idKey = new IdKey(ref.organizationId(), ref.identityId());
        Entry<SecretMetadata> e = lookup(() -> index.secrets(idKey).get(ref.key()));
        if (e == null) {
            return Optional.empty();
        }
        Optional<ItemMapper.SecretState> state = fetch(e.cipherId()).map(item -> decodeSecretChecked(item, ref));
        if (state.isEmpty() || state.get() == null) {
            index.secrets(idKey).remove(ref.key(), e);
            return Optional.empty();
        }
        index.secrets(idKey).put(ref.key(), new Entry<>(e.cipherId(), state.get().metadata()));
        return state;
    }

    /** Decodes a secret item; null when it does not belong to {@code ref} (never another tenant's data). */
    private static ItemMapper.SecretState decodeSecretChecked(Item item, SecretRef ref) {
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

    private SecretMetadata updateSecret(SecretRef ref, long expectedRevision, VersionsChange change, SecretMetadata metadata) {
        return write(() -> withLock(secretLock(ref), () -> {
            IdKey idKey = new IdKey(ref.organizationId(), ref.identityId());
            Entry<SecretMetadata> e = index.secrets(idKey).get(ref.key());
            if (e == null) {
                throw secretNotFound(ref);
            }
            return updateLoop(e.cipherId(), () -> secretNotFound(ref), item -> {
                ItemMapper.SecretState state = decodeSecretChecked(item, ref);
                if (state == null) {
                    throw secretNotFound(ref);
                }
                checkRevision(state.metadata().revision(), expectedRevision, "secret '" + ref.key() + "'");
                List<SecretVersion> versions = change.apply(state);
                SecretMetadata next = new SecretMetadata(ref, metadata.type(), metadata.currentVersion(),
                        metadata.metadata(), metadata.attributes(), state.metadata().createdAt(), metadata.updatedAt(),
                        state.metadata().revision() + 1);
                ItemMapper.encodeSecret(next, versions, item);
                return next;
            }, next -> {
                index.secrets(idKey).put(ref.key(), new Entry<>(e.cipherId(), next));
                return next;
            });
        }));
    }

    // ================================================================== item I/O

    /**
     * Re-reads an item, lets {@code change} check its revision and rewrite it, and PUTs it with the
     * revision date just read; re-reads and retries when Vaultwarden says the copy is out of date.
     */
    private <T> T updateLoop(String cipherId, Supplier<VaultException> notFound, Function<Item, T> change,
                             Function<T, T> onStored) {
        for (int attempt = 0; ; attempt++) {
            Item item = fetch(cipherId).orElseThrow(notFound);
            T next = change.apply(item);
            ObjectNode body = CipherCodec.encrypt(item, orgKey);
            VaultwardenApi.Response r = api.call("PUT", "/ciphers/" + cipherId, body);
            if (r.ok()) {
                return onStored.apply(next);
            }
            if (r.cipherGone()) {
                throw notFound.get();
            }
            if (r.status() == 400 && r.message().toLowerCase(java.util.Locale.ROOT).contains("out of date")
                    && attempt < MAX_OUT_OF_DATE_RETRIES) {
                continue; // a person saved the item between our read and write: re-read and decide again
            }
            throw unexpected("updating item " + cipherId, r);
        }
    }

    /** The decrypted item, or empty when it is gone, trashed or not of the configured organization. */
    private Optional<Item> fetch(String cipherId) {
        VaultwardenApi.Response r = api.call("GET", "/ciphers/" + cipherId, null);
        if (r.cipherGone()) {
            return Optional.empty();
        }
        if (!r.ok() || r.body() == null) {
            throw unexpected("reading item " + cipherId, r);
        }
        if (!orgId.equals(Json.text(r.body(), "organizationId"))) {
            return Optional.empty();
        }
        Item item = decryptItem(r.body());
        return item.deleted ? Optional.empty() : Optional.of(item);
    }

    private Item decryptItem(JsonNode cipher) {
        try {
            return CipherCodec.decrypt(cipher, orgKey);
        } catch (CryptoException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "Vaultwarden item " + Json.text(cipher, "id")
                    + " does not decrypt with the organization key: " + e.getMessage());
        }
    }

    private String createCipher(Item item) {
        ObjectNode body = Json.object();
        body.set("cipher", CipherCodec.encrypt(item, orgKey));
        body.putArray("collectionIds").add(item.collectionIds.get(0));
        VaultwardenApi.Response r = api.call("POST", "/ciphers/create", body);
        String id = r.ok() ? Json.text(r.body(), "id") : null;
        if (id == null) {
            throw unexpected("creating an item", r);
        }
        return id;
    }

    private void deleteCipher(String cipherId) {
        VaultwardenApi.Response r = api.call("DELETE", "/ciphers/" + cipherId, null);
        if (!r.ok() && !r.cipherGone()) {
            throw unexpected("deleting item " + cipherId, r);
        }
    }

    private String createCollection(Index ix, String externalId, String name) {
        ObjectNode body = Json.object();
        body.put("name", BitwardenCrypto.encryptString(name, orgKey).toString());
        body.put("externalId", externalId);
        body.putArray("groups");
        if (membershipId != null) {
            body.putArray("users").addObject().put("id", membershipId).put("readOnly", false)
                    .put("hidePasswords", false).put("manage", true);
        } else {
            body.putArray("users");
        }
        VaultwardenApi.Response r = api.call("POST", "/organizations/" + orgId + "/collections", body);
        String id = r.ok() ? Json.text(r.body(), "id") : null;
        if (id == null) {
            throw unexpected("creating a collection (the account must be an owner or admin of the organization)", r);
        }
        ix.collectionsByExternalId.put(externalId, id);
        ix.externalIdByCollection.put(id, externalId);
        return id;
    }

    private String systemCollection(Index ix) {
        String id = ix.collectionsByExternalId.get(SYSTEM_EXTERNAL_ID);
        return id != null ? id : createCollection(ix, SYSTEM_EXTERNAL_ID, "Anima Vault (system records)");
    }

    // ================================================================== index and sync

    /** Looks up the index; on a miss refreshes it if it is older than the sync interval and looks again. */
    private <T> T lookup(Supplier<T> get) {
        T v = get.get();
        if (v == null && refresh(false)) {
            v = get.get();
        }
        return v;
    }

    /**
     * Polls the account revision date (at most once per sync interval unless forced) and rebuilds the
     * index from a full sync when it changed. Returns whether the index was rebuilt.
     */
    private boolean refresh(boolean force) {
        if (!force && clock.instant().isBefore(lastRevisionCheck.plus(syncInterval))) {
            return false;
        }
        syncLock.writeLock().lock();
        try {
            if (!force && clock.instant().isBefore(lastRevisionCheck.plus(syncInterval))) {
                return false;
            }
            Instant now = clock.instant();
            VaultwardenApi.Response r = api.call("GET", "/accounts/revision-date", null);
            if (!r.ok() || r.body() == null || !r.body().canConvertToLong()) {
                throw unexpected("reading the account revision date", r);
            }
            long revisionDate = r.body().asLong();
            lastRevisionCheck = now;
            if (!force && revisionDate == lastRevisionDate) {
                return false;
            }
            VaultwardenApi.Response sync = api.call("GET", "/sync?excludeDomains=true", null);
            if (!sync.ok() || sync.body() == null) {
                throw unexpected("syncing", sync);
            }
            Index rebuilt = buildIndex(sync.body());
            index = rebuilt;
            lastRevisionDate = revisionDate;
            return true;
        } finally {
            syncLock.writeLock().unlock();
        }
    }

    private Index buildIndex(JsonNode sync) {
        Index ix = new Index();
        JsonNode collections = Json.get(sync, "collections");
        if (collections != null) {
            for (JsonNode c : collections) {
                String ext = Json.text(c, "externalId");
                if (orgId.equals(Json.text(c, "organizationId")) && ext != null) {
                    ix.collectionsByExternalId.put(ext, Json.text(c, "id"));
                    ix.externalIdByCollection.put(Json.text(c, "id"), ext);
                }
            }
        }
        JsonNode ciphers = Json.get(sync, "ciphers");
        if (ciphers == null) {
            return ix;
        }
        for (JsonNode c : ciphers) {
            if (!orgId.equals(Json.text(c, "organizationId")) || Json.get(c, "deletedDate") != null) {
                continue;
            }
            Item item;
            try {
                item = CipherCodec.decrypt(c, orgKey);
            } catch (CryptoException e) {
                LOG.log(System.Logger.Level.WARNING, "skipping Vaultwarden item {0}: it does not decrypt ({1})",
                        item(c), e.getMessage());
                continue;
            }
            index(ix, item);
        }
        return ix;
    }

    private static String item(JsonNode c) {
        return Json.text(c, "id");
    }

    private void index(Index ix, Item item) {
        String kind = ItemMapper.kind(item);
        switch (kind) {
            case "identity" -> {
                Identity i = ItemMapper.decodeIdentity(item);
                if (item.collectionIds.contains(ix.collectionsByExternalId.get(externalId(i.organizationId(), i.id())))) {
                    ix.identities(i.organizationId()).put(i.id(), new Entry<>(item.id, i));
                }
            }
            case "record" -> {
                StoredRecord rec = ItemMapper.decodeRecord(item);
                ix.records(rec.namespace()).put(rec.key(), new Entry<>(item.id, rec));
            }
            case "secret", "" -> {
                // Items people create by hand in an identity's collection read as password secrets.
                for (String col : item.collectionIds) {
                    String ext = ix.externalIdByCollection.get(col);
                    IdKey owner = ext == null ? null : parseExternalId(ext);
                    if (owner == null || (kind.isEmpty() && item.type != Item.LOGIN)) {
                        continue;
                    }
                    SecretRef fallback = new SecretRef(owner.organizationId(), owner.identityId(), item.name);
                    ItemMapper.SecretState state = ItemMapper.decodeSecret(item, fallback);
                    SecretRef ref = state.metadata().ref();
                    if (ref.organizationId().equals(owner.organizationId()) && ref.identityId().equals(owner.identityId())) {
                        ix.secrets(owner).put(ref.key(), new Entry<>(item.id, state.metadata()));
                    }
                }
            }
            default -> {
                // another tool's item: not ours
            }
        }
    }

    private Identity cacheIdentity(String cipherId, Identity identity) {
        index.identities(identity.organizationId()).put(identity.id(), new Entry<>(cipherId, identity));
        return identity;
    }

    static String externalId(String organizationId, String identityId) {
        return escape(organizationId) + "/" + escape(identityId);
    }

    private static IdKey parseExternalId(String externalId) {
        int slash = externalId.indexOf('/');
        if (slash < 0 || externalId.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        return new IdKey(unescape(externalId.substring(0, slash)), unescape(externalId.substring(slash + 1)));
    }

    private static String escape(String s) {
        return s.replace("%", "%25").replace("/", "%2F");
    }

    private static String unescape(String s) {
        return s.replace("%2F", "/").replace("%25", "%");
    }

    // ================================================================== helpers

    private static <T> Page<T> page(ConcurrentSkipListMap<String, Entry<T>> map, PageRequest page) {
        Map<String, Entry<T>> view = map;
        if (page.cursor().isPresent()) {
            String after = decodeCursor(page.cursor().get());
            view = map.tailMap(after, false);
        }
        List<T> items = new ArrayList<>();
        String last = null;
        boolean more = false;
        for (Map.Entry<String, Entry<T>> e : view.entrySet()) {
            if (items.size() == page.limit()) {
                more = true;
                break;
            }
            items.add(e.getValue().value());
            last = e.getKey();
        }
        return new Page<>(items, more ? Optional.of(encodeCursor(last)) : Optional.empty());
    }

    private static String encodeCursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the page cursor is not valid");
        }
    }

    private <T> T write(Supplier<T> op) {
        checkOpen();
        syncLock.readLock().lock();
        try {
            return op.get();
        } finally {
            syncLock.readLock().unlock();
        }
    }

    private <T> T withLock(String key, Supplier<T> op) {
        ReentrantLock lock = itemLocks.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lock();
        try {
            return op.get();
        } finally {
            lock.unlock();
        }
    }

    private static String identityLock(String org, String identity) {
        return "identity:" + externalId(org, identity);
    }

    private static String secretLock(SecretRef ref) {
        return "secret:" + externalId(ref.organizationId(), ref.identityId()) + "/" + ref.key();
    }

    private static void checkRevision(long actual, long expected, String what) {
        if (actual != expected) {
            throw new VaultException(ErrorCode.REVISION_CONFLICT, what + " is at revision " + actual
                    + ", not the expected " + expected);
        }
    }

    private static void checkRecordName(String namespace, String key) {
        Objects.requireNonNull(namespace, "namespace is null");
        Objects.requireNonNull(key, "key is null");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record namespace '" + namespace
                    + "' must match [a-z0-9_./-]{1,64}");
        }
        if (key.isEmpty() || key.length() > 256) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "record keys must be 1 to 256 characters");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "the Vaultwarden storage backend is closed");
        }
    }

    private static VaultException identityNotFound(String identityId) {
        return new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity '" + identityId + "' does not exist");
    }

    private static VaultException secretNotFound(SecretRef ref) {
        return new VaultException(ErrorCode.SECRET_NOT_FOUND, "secret '" + ref.key() + "' of identity '"
                + ref.identityId() + "' does not exist");
    }

    private static VaultException unexpected(String what, VaultwardenApi.Response r) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "Vaultwarden refused " + what + ": HTTP "
                + r.status() + " " + r.message());
    }
}
