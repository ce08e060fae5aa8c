package dev.animavault.plugin.credential.password;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin entry point: contributes the {@code password} credential type. */
@Extension
public final class PasswordPlugin implements VaultPlugin {

    @Override
    public List<CredentialTypeFactory> credentialTypes() {
        return List.of(new PasswordCredentialTypeFactory());
    }
}
