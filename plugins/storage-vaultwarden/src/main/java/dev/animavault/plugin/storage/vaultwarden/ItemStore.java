package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Item and collection I/O of the {@link VaultwardenStorageBackend} in the configured organization: read
 * (decrypted), create, conditional update ({@link #updateLoop}), delete, and the collections that scope
 * identities. Keeps the {@link ItemIndex}'s collection maps in step with what it creates and deletes.
 * Thread-safe (the callers serialise writes per item).
 */
final class ItemStore {
    static final String SYSTEM_EXTERNAL_ID = "anima-vault-system";
    private static final int MAX_OUT_OF_DATE_RETRIES = 5;

    private final VaultwardenApi api;
    private final String orgId;
    private final String membershipId;
    private final SymmetricKey orgKey;

    ItemStore(VaultwardenApi api, String orgId, String membershipId, SymmetricKey orgKey) {
        this.api = api;
        this.orgId = orgId;
        this.membershipId = membershipId;
        this.orgKey = orgKey;
    }

    /** A new item of the organization in one collection. */
    Item newItem(String collectionId) {
        Item item = new Item();
        item.organizationId = orgId;
        item.collectionIds.add(collectionId);
        return item;
    }

    /** The decrypted item, or empty when it is gone, trashed or not of the configured organization. */
    Optional<Item> fetch(String cipherId) {
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

    /** Creates the item in its (first) collection; returns its cipher id. */
    String createCipher(Item item) {
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

    /** Deletes an item for good; an item already gone is not an error. */
    void deleteCipher(String cipherId) {
        VaultwardenApi.Response r = api.call("DELETE", "/ciphers/" + cipherId, null);
        if (!r.ok() && !r.cipherGone()) {
            throw unexpected("deleting item " + cipherId, r);
        }
    }

    /**
     * Re-reads an item, lets {@code change} check its revision and rewrite it, and PUTs it with the
     * revision date just read; re-reads and retries when Vaultwarden says the copy is out of date.
     */
    <T> T updateLoop(String cipherId, Supplier<VaultException> notFound, Function<Item, T> change,
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
            if (r.status() == 400 && r.message().toLowerCase(Locale.ROOT).contains("out of date")
                    && attempt < MAX_OUT_OF_DATE_RETRIES) {
                continue; // a person saved the item between our read and write: re-read and decide again
            }
            throw unexpected("updating item " + cipherId, r);
        }
    }

    /** Creates a collection (this account its manager) and enters it in the index; returns its id. */
    String createCollection(ItemIndex ix, String externalId, String name) {
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
        ix.putCollection(externalId, id);
        return id;
    }

    /** The collection of core's records, created when missing. */
    String systemCollection(ItemIndex ix) {
        String id = ix.collectionsByExternalId.get(SYSTEM_EXTERNAL_ID);
        return id != null ? id : createCollection(ix, SYSTEM_EXTERNAL_ID, "Anima Vault (system records)");
    }

    /** Deletes an identity's collection, if it has one, and removes it from the index. */
    void deleteCollection(ItemIndex ix, String externalId, String identityId) {
        String collectionId = ix.collectionsByExternalId.get(externalId);
        if (collectionId != null) {
            VaultwardenApi.Response r = api.call("DELETE", "/organizations/" + orgId + "/collections/" + collectionId, null);
            if (!r.ok() && r.status() != 404) {
                throw unexpected("deleting the collection of identity '" + identityId + "'", r);
            }
            ix.removeCollection(externalId, collectionId);
        }
    }

    static void checkRevision(long actual, long expected, String what) {
        if (actual != expected) {
            throw new VaultException(ErrorCode.REVISION_CONFLICT, what + " is at revision " + actual
                    + ", not the expected " + expected);
        }
    }

    static VaultException unexpected(String what, VaultwardenApi.Response r) {
        return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "Vaultwarden refused " + what + ": HTTP "
                + r.status() + " " + r.message());
    }
}
