package dev.animavault.plugin.credential.apikey;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin entry point: contributes the {@code api_key} credential type. */
@Extension
public final class ApiKeyPlugin implements VaultPlugin {

    @Override
    public List<CredentialTypeFactory> credentialTypes() {
        return List.of(new ApiKeyCredentialTypeFactory());
    }
}
