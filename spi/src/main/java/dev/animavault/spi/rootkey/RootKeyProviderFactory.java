package dev.animavault.spi.rootkey;

import dev.animavault.spi.ProviderFactory;

/**
 * Creates {@link RootKeyProvider}s. {@code create} connects to the key's home (reads a file, logs in to an
 * HSM) and fails with {@code CONFIGURATION} rather than returning a provider that cannot work.
 *
 * <p>Core creates one provider from {@code vault.root-key} at startup and, during a root key rotation that
 * names another provider ({@code file} to {@code pkcs11}), a second one from the rotation request. The
 * rotation's configuration is recorded beside the keyring (for status and audit), so a provider takes
 * credentials (an HSM PIN, a passphrase) <b>by reference</b> (an environment variable's name, a file
 * path), never as a configuration value; properties marked sensitive are refused in rotation requests.
 */
public interface RootKeyProviderFactory extends ProviderFactory<RootKeyProvider> {
}
