package dev.animavault.spi.storage;

import dev.animavault.spi.ProviderFactory;

/**
 * Creates {@link StorageBackend}s. {@code create} prepares the store (runs schema migrations, logs in)
 * and returns a backend ready for use; it fails with {@code STORAGE_UNAVAILABLE} or
 * {@code CONFIGURATION} rather than returning a half-working backend.
 */
public interface StorageBackendFactory extends ProviderFactory<StorageBackend> {
}
