/**
 * The Anima Vault plugin API.
 *
 * <p>A plugin contributes one {@link dev.animavault.spi.VaultPlugin} extension. Its default methods
 * return named, stateless factories for storage backends, credential types, audit sinks and root key
 * providers ({@code dev.animavault.spi.rootkey}). Core
 * resolves the extensions once at startup, picks the factories named in configuration, validates each
 * factory's {@link dev.animavault.spi.ProviderConfig} against its declared
 * {@link dev.animavault.spi.ConfigProperty properties} and calls {@code create} once per configured
 * instance. Created objects are {@link java.lang.AutoCloseable}; core closes them in reverse creation
 * order at shutdown.
 *
 * <p>Only JDK types cross this API (plus {@code org.pf4j.ExtensionPoint} on the entry point). The API
 * grows by addition: new default methods and new optional capability interfaces checked with
 * {@code instanceof}.
 *
 * <p>Errors: every failure a plugin reports to core is a {@link dev.animavault.spi.VaultException}
 * carrying an {@link dev.animavault.spi.ErrorCode}. Messages name keys and identifiers, never secret
 * values.
 */
package dev.animavault.spi;
