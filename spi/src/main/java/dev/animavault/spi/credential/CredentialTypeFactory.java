package dev.animavault.spi.credential;

import dev.animavault.spi.ProviderFactory;

/** Creates {@link CredentialType}s; the factory's name is the type id. */
public interface CredentialTypeFactory extends ProviderFactory<CredentialType> {
}
