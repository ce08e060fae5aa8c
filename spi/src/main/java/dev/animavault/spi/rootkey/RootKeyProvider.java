package dev.animavault.spi.rootkey;

import java.util.Optional;

/**
 * A home for root keys: wraps and unwraps core's keyring (a few hundred bytes) under a key that, ideally,
 * never leaves it. Keys are addressed by a <b>key id</b>: a short, non-secret, printable name
 * ({@code [A-Za-z0-9._:-]{1,128}}) chosen by the provider, that core records next to the wrapped keyring
 * and hands back on every call. The id must not reveal the key (a random name, or a one-way fingerprint).
 *
 * <p><b>Lifecycle</b>, driven by core:
 * <ol>
 *   <li>first start (no keyring yet): {@link #currentKey()} if the source already holds a key, else
 *       {@link #newKey()}; {@link #wrap}; core stores the keyring; {@link #keyInUse}.</li>
 *   <li>every start: {@link #unwrap} with the id the keyring names, then {@link #keyInUse} with it (which
 *       finishes a rotation a crash interrupted).</li>
 *   <li>rotation: {@link #newKey()} (on this or another provider), {@link #wrap} with it, core replaces
 *       the keyring record conditionally (only one node wins), then {@link #keyInUse} with the new id and
 *       {@link #destroyKey} with the old one. When the conditional write loses, core calls
 *       {@link #destroyKey} with the new id instead.</li>
 *   <li>{@link #close()} at shutdown.</li>
 * </ol>
 * Calls are rare (startup, rotation, a keyring change seen from another node) and never on a secret's read
 * path: a provider may be slow (an HSM round trip, a deliberately expensive passphrase derivation).
 *
 * <p><b>Threading</b>: implementations are thread-safe; core may call {@link #unwrap} from a watcher
 * thread while a request thread rotates.
 *
 * <p><b>Failures</b> are {@link dev.animavault.spi.VaultException}s: {@code INTEGRITY_ERROR} when the
 * wrapped bytes do not open under the named key (wrong key, tampering, other AAD); {@code CONFIGURATION}
 * when the named key is not available (deleted, file missing) or the provider cannot create keys
 * ({@link #newKey()}); {@code UPSTREAM_ERROR} when the key's home does not answer. Messages never contain
 * key material.
 */
public interface RootKeyProvider extends AutoCloseable {

    /**
     * The key the provider's source holds already, when it holds exactly one that core did not ask for (a
     * key file written by an operator, an environment variable). Used on first start and to open keyrings
     * written before key ids existed. Default: none.
     */
    default Optional<String> currentKey() {
        return Optional.empty();
    }

    /**
     * Makes a key for the next wrap and returns its id. Providers that create keys (a file, an HSM) make a
     * new random one that is not yet used by anything and survives a restart; providers whose key is
     * given (an environment variable) return the id of that key. Idempotency: each call may make another
     * key; a key core does not adopt is passed to {@link #destroyKey}.
     *
     * @throws dev.animavault.spi.VaultException {@code CONFIGURATION} when the provider can neither create
     *                                           nor find a key
     */
    String newKey();

    /**
     * Encrypts {@code plaintext} with authenticated encryption under key {@code keyId}, binding
     * {@code aad}. The result is opaque to core; a fresh nonce per call.
     */
    byte[] wrap(String keyId, byte[] plaintext, byte[] aad);

    /**
     * Opens what {@link #wrap} produced with the same key id and AAD.
     *
     * @throws dev.animavault.spi.VaultException {@code INTEGRITY_ERROR} when it does not open,
     *                                           {@code CONFIGURATION} when the key is not available
     */
    byte[] unwrap(String keyId, byte[] wrapped, byte[] aad);

    /**
     * Tells the provider that the keyring is now wrapped by {@code keyId} (after a successful rotation, and
     * at every start). A provider that staged the key (a file written next to the old one) makes it the
     * one its configuration finds. Idempotent. Default: nothing.
     */
    default void keyInUse(String keyId) {
    }

    /**
     * Destroys a key that no longer wraps anything (the old key after a rotation, or a new one whose
     * rotation lost the race). Keys the provider cannot destroy (an environment variable, a passphrase) are
     * left alone. Idempotent; an unknown id is not an error. Default: nothing.
     */
    default void destroyKey(String keyId) {
    }

    /** Whether {@link #newKey()} makes a fresh key (false: it returns the key the source was given). */
    default boolean createsKeys() {
        return true;
    }

    /** One line naming where the keys live, for logs and status (never key material). */
    String describe();

    /** Releases sessions and wipes cached keys. Idempotent. */
    @Override
    void close();
}
