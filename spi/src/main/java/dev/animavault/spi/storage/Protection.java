package dev.animavault.spi.storage;

/** How secret values are protected at rest by a storage backend. */
public enum Protection {
    /**
     * The backend stores bytes as given. Core seals every value with its barrier (AES-256-GCM keyring)
     * before handing it over, so the backend only ever sees ciphertext.
     */
    NONE,
    /**
     * The backend encrypts values with its own scheme (e.g. Bitwarden's end-to-end encryption). Core
     * hands it plaintext {@link SecretVersion#value()} bytes.
     */
    NATIVE
}
