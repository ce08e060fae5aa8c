package dev.animavault.plugin.credential.oauth;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin entry point: contributes the {@code oauth_refresh} credential type. */
@Extension
public final class OAuthRefreshPlugin implements VaultPlugin {

    @Override
    public List<CredentialTypeFactory> credentialTypes() {
        return List.of(new OAuthRefreshCredentialTypeFactory());
    }
}
