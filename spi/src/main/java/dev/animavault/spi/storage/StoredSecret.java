package dev.animavault.spi.storage;

import java.util.Objects;

/**
 * A secret read in one storage round trip: its metadata and one version.
 *
 * @param metadata the secret's metadata
 * @param version  the requested version (the current one unless a number was asked for)
 */
public record StoredSecret(SecretMetadata metadata, SecretVersion version) {
    public StoredSecret {
        Objects.requireNonNull(metadata, "metadata is null");
        Objects.requireNonNull(version, "version is null");
    }
}
