package dev.animavault.spi;

import dev.animavault.spi.audit.AuditSinkFactory;
import dev.animavault.spi.credential.CredentialTypeFactory;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.util.List;
import org.pf4j.ExtensionPoint;

/**
 * The one entry point of a plugin. A plugin annotates one implementation with {@code @Extension};
 * core resolves it once at startup. Every method returns the factories the plugin contributes; the
 * defaults contribute nothing, so a plugin overrides only what it provides.
 *
 * <p>Threading: called once, at startup, from one thread.
 */
public interface VaultPlugin extends ExtensionPoint {

    /** Storage backends this plugin provides. */
    default List<StorageBackendFactory> storageBackends() {
        return List.of();
    }

    /** Credential types this plugin provides. */
    default List<CredentialTypeFactory> credentialTypes() {
        return List.of();
    }

    /** Audit sinks this plugin provides. */
    default List<AuditSinkFactory> auditSinks() {
        return List.of();
    }

    /** Root key providers this plugin provides ({@code vault.root-key.type}). */
    default List<dev.animavault.spi.rootkey.RootKeyProviderFactory> rootKeyProviders() {
        return List.of();
    }
}
