/**
 * The {@code pkcs11} root key provider: the root key is an AES-256 key generated inside an HSM (or any
 * PKCS#11 token, such as SoftHSM2), marked sensitive and not extractable, and used for AES-GCM wrapping
 * through the JDK's SunPKCS11 provider; it never leaves the token.
 *
 * <p>Configuration ({@code vault.root-key.config}): {@code library} (the PKCS#11 module, e.g.
 * {@code /usr/lib/softhsm/libsofthsm2.so}), {@code slot} or {@code slot-list-index} (default 0), the user PIN by
 * reference, {@code pin-env} (an environment variable's name) or {@code pin-file} (a file path), and
 * {@code key-label} (prefix of the key objects' labels, default {@code anima-vault-root}). Each key is a token
 * object labelled {@code <key-label>.<keyId>}.
 */
package dev.animavault.plugin.rootkey.pkcs11;
