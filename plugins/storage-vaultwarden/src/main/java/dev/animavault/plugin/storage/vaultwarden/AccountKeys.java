package dev.animavault.plugin.storage.vaultwarden;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.plugin.storage.vaultwarden.crypto.BitwardenCrypto;
import dev.animavault.plugin.storage.vaultwarden.crypto.CryptoException;
import dev.animavault.plugin.storage.vaultwarden.crypto.EncString;
import dev.animavault.plugin.storage.vaultwarden.crypto.Kdf;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The unlocked key material of the service account: the user key (from the token answer's {@code Key},
 * decrypted with the stretched master key) and the private key, and from them the configured
 * organization's key. Built once per login; {@link #wipe()} zeroes the symmetric keys.
 */
final class AccountKeys {
    private final SymmetricKey userKey;
    private final PrivateKey privateKey;
    private final String protectedUserKey;

    private AccountKeys(SymmetricKey userKey, PrivateKey privateKey, String protectedUserKey) {
        this.userKey = userKey;
        this.privateKey = privateKey;
        this.protectedUserKey = protectedUserKey;
    }

    /**
     * Unlocks the account with the master password.
     *
     * @param grant          the token endpoint's answer
     * @param email          the account email (the default salt)
     * @param masterPassword the master password
     * @param prelogin       fetches KDF settings when the grant carries none
     * @throws VaultException {@code CONFIGURATION} when the master password (or email) does not unlock the key
     */
    static AccountKeys unlock(JsonNode grant, String email, char[] masterPassword, Supplier<JsonNode> prelogin) {
        Objects.requireNonNull(grant, "grant is null");
        Objects.requireNonNull(email, "email is null");
        Objects.requireNonNull(masterPassword, "masterPassword is null");
        String protectedKey = Json.text(grant, "Key");
        String protectedPrivate = Json.text(grant, "PrivateKey");
        JsonNode unlockOptions = Json.get(Json.get(grant, "UserDecryptionOptions"), "MasterPasswordUnlock");
        if (protectedKey == null && unlockOptions != null) {
            protectedKey = Json.text(unlockOptions, "MasterKeyEncryptedUserKey");
        }
        if (protectedPrivate == null) {
            protectedPrivate = Json.text(Json.get(Json.get(grant, "AccountKeys"), "publicKeyEncryptionKeyPair"),
                    "wrappedPrivateKey");
        }
        if (protectedKey == null || protectedPrivate == null) {
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    "Vaultwarden's token answer carries no encrypted user key or private key");
        }
        Kdf kdf = kdf(grant, unlockOptions, prelogin);
        String salt = unlockOptions != null && Json.text(unlockOptions, "Salt") != null
                ? Json.text(unlockOptions, "Salt") : email;
        byte[] masterKey = BitwardenCrypto.masterKey(masterPassword, salt, kdf);
        SymmetricKey userKey;
        try {
            EncString enc = EncString.parse(protectedKey);
            byte[] raw;
            if (enc.type() == EncString.AES_CBC_256) {
                SymmetricKey legacy = SymmetricKey.fromBytes(masterKey);
                try {
                    raw = BitwardenCrypto.decrypt(enc, legacy);
                } finally {
                    legacy.wipe();
                }
            } else {
                SymmetricKey stretched = BitwardenCrypto.stretch(masterKey);
                try {
                    raw = BitwardenCrypto.decrypt(enc, stretched);
                } finally {
                    stretched.wipe();
                }
            }
            userKey = SymmetricKey.fromBytes(raw);
            Arrays.fill(raw, (byte) 0);
        } catch (CryptoException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "'master-password' does not unlock the Vaultwarden "
                    + "account's key (wrong master password or 'email'): " + e.getMessage());
        } finally {
            Arrays.fill(masterKey, (byte) 0);
        }
        try {
            byte[] pkcs8 = BitwardenCrypto.decrypt(EncString.parse(protectedPrivate), userKey);
            try {
                return new AccountKeys(userKey, BitwardenCrypto.rsaPrivateKey(pkcs8), protectedKey);
            } finally {
                Arrays.fill(pkcs8, (byte) 0);
            }
        } catch (CryptoException e) {
            userKey.wipe();
            throw new VaultException(ErrorCode.INTEGRITY_ERROR,
                    "the account's private key does not decrypt with its user key: " + e.getMessage());
        }
    }

    private static Kdf kdf(JsonNode grant, JsonNode unlockOptions, Supplier<JsonNode> prelogin) {
        try {
            JsonNode source = grant;
            if (Json.get(grant, "Kdf") == null) {
                JsonNode nested = Json.get(unlockOptions, "Kdf");
                source = nested != null ? nested : null;
            }
            if (source != null && Json.get(source, "KdfType") != null) {
                return new Kdf(Json.integer(source, "KdfType", 0), Json.integer(source, "Iterations", 0),
                        Json.integer(source, "Memory", 0), Json.integer(source, "Parallelism", 0));
            }
            if (source == null) {
                source = prelogin.get();
            }
            return new Kdf(Json.integer(source, "Kdf", 0), Json.integer(source, "KdfIterations", 0),
                    Json.integer(source, "KdfMemory", 0), Json.integer(source, "KdfParallelism", 0));
        } catch (CryptoException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the Vaultwarden account's KDF settings are refused: "
                    + e.getMessage());
        }
    }

    /** The protected user key this was unlocked from (to notice a changed key on re-login). */
    String protectedUserKey() {
        return protectedUserKey;
    }

    /**
     * Decrypts an organization key ({@code profile.organizations[i].key}, RSA type 4 or 3).
     *
     * @throws CryptoException when it does not decrypt
     */
    SymmetricKey organizationKey(String encryptedOrgKey) {
        Objects.requireNonNull(encryptedOrgKey, "encryptedOrgKey is null");
        EncString enc = EncString.parse(encryptedOrgKey);
        byte[] raw = enc.isAsymmetric() ? BitwardenCrypto.rsaDecrypt(enc, privateKey)
                : BitwardenCrypto.decrypt(enc, userKey);
        try {
            return SymmetricKey.fromBytes(raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    void wipe() {
        userKey.wipe();
    }

    @Override
    public String toString() {
        return "AccountKeys[<masked>]";
    }
}
