package dev.animavault.spi.credential;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.storage.SecretRef;
import java.util.Map;

/** What core tells a credential type when an agent reads a secret. */
public interface MaterializationContext {

    /** The secret being read. */
    SecretRef ref();

    /** The version being read. */
    int version();

    /** The secret's user metadata. */
    Map<String, String> metadata();

    /**
     * Stores a new value as a new current version of the secret (e.g. a rotated refresh token), with a
     * conditional write; returns after it is durable.
     */
    void replaceStoredValue(SecretValue newValue);
}
