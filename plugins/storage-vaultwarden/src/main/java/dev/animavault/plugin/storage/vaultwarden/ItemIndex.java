package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The name-to-item index of the {@link VaultwardenStorageBackend}: collections by {@code externalId}, and
 * identities, secrets and core's records by name, each with the id of the cipher that holds it. Built from
 * one {@code /api/sync} answer ({@link #build}); {@link SyncedIndex} replaces it when the account changed.
 * Maps are concurrent so readers need no lock.
 */
final class ItemIndex {
    private static final System.Logger LOG = System.getLogger(VaultwardenStorageBackend.class.getName());

    /** An identity: the key of its collection and of its secrets. */
    record IdKey(String organizationId, String identityId) {
    }

    /** A value and the cipher that holds it. */
    record Entry<T>(String cipherId, T value) {
    }

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

    /** Records a collection created by this backend. */
    void putCollection(String externalId, String collectionId) {
        collectionsByExternalId.put(externalId, collectionId);
        externalIdByCollection.put(collectionId, externalId);
    }

    /** Forgets a deleted collection. */
    void removeCollection(String externalId, String collectionId) {
        collectionsByExternalId.remove(externalId);
        externalIdByCollection.remove(collectionId);
    }

    /** The index of the organization's collections and live items in a sync answer; skips items that do not decrypt. */
    static ItemIndex build(JsonNode sync, String orgId, SymmetricKey orgKey) {
        ItemIndex ix = new ItemIndex();
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
                        Json.text(c, "id"), e.getMessage());
                continue;
            }
            ix.add(item);
        }
        return ix;
    }

    private void add(Item item) {
        String kind = ItemMapper.kind(item);
        switch (kind) {
            case "identity" -> {
                Identity i = ItemMapper.decodeIdentity(item);
                if (item.collectionIds.contains(collectionsByExternalId.get(externalId(i.organizationId(), i.id())))) {
                    identities(i.organizationId()).put(i.id(), new Entry<>(item.id, i));
                }
            }
            case "record" -> {
                StoredRecord rec = ItemMapper.decodeRecord(item);
                records(rec.namespace()).put(rec.key(), new Entry<>(item.id, rec));
            }
            case "secret", "" -> {
                // Items people create by hand in an identity's collection read as password secrets.
                for (String col : item.collectionIds) {
                    String ext = externalIdByCollection.get(col);
                    IdKey owner = ext == null ? null : parseExternalId(ext);
                    if (owner == null || (kind.isEmpty() && item.type != Item.LOGIN)) {
                        continue;
                    }
                    SecretRef fallback = new SecretRef(owner.organizationId(), owner.identityId(), item.name);
                    ItemMapper.SecretState state = ItemMapper.decodeSecret(item, fallback);
                    SecretRef ref = state.metadata().ref();
                    if (ref.organizationId().equals(owner.organizationId()) && ref.identityId().equals(owner.identityId())) {
                        secrets(owner).put(ref.key(), new Entry<>(item.id, state.metadata()));
                    }
                }
            }
            default -> {
                // another tool's item: not ours
            }
        }
    }

    /**
     * The plaintext {@code externalId} of an identity's collection: {@code <organizationId>/<identityId>},
     * {@code %} and {@code /} percent-encoded.
     */
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
}
