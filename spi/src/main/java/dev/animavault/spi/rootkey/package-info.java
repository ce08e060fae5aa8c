/**
 * The root key SPI: where the key that wraps core's keyring lives (a file, an environment variable, a
 * passphrase, an HSM, a cloud KMS). Chosen by {@code vault.root-key.type}; checked by
 * {@code RootKeyProviderContract} in spi-testkit.
 *
 * <p>Core keeps a single record, the keyring, wrapped by one root key. The record names the key that wraps
 * it (provider type and key id), so a provider may hold several keys at once (the one in use and a new one
 * during a rotation) and is always told which one to use.
 */
package dev.animavault.spi.rootkey;
