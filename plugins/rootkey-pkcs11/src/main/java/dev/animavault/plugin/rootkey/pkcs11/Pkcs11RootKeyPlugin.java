package dev.animavault.plugin.rootkey.pkcs11;

import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.rootkey.RootKeyProviderFactory;
import java.util.List;
import org.pf4j.Extension;

/** The plugin entry point: contributes the {@code pkcs11} root key provider. */
@Extension
public final class Pkcs11RootKeyPlugin implements VaultPlugin {

    @Override
    public List<RootKeyProviderFactory> rootKeyProviders() {
        return List.of(new Pkcs11RootKeyProviderFactory());
    }
}
