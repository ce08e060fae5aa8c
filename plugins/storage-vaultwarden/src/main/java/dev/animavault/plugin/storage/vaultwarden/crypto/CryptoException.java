package dev.animavault.plugin.storage.vaultwarden.crypto;

/**
 * A Bitwarden crypto operation failed: a malformed EncString, a MAC that does not verify, a key of the
 * wrong kind. Messages describe the failure, never key material or plaintext.
 */
public final class CryptoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, without secrets */
    public CryptoException(String message) {
        super(message);
    }

    /**
     * @param message what failed, without secrets
     * @param cause   the provider's exception
     */
    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
