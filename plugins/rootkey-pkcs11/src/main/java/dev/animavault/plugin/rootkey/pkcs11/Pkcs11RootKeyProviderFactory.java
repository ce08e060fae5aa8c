package dev.animavault.plugin.rootkey.pkcs11;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.rootkey.RootKeyProviderFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Creates {@link Pkcs11RootKeyProvider}s: loads the PKCS#11 module and logs in to the token. */
public final class Pkcs11RootKeyProviderFactory implements RootKeyProviderFactory {

    @Override
    public String name() {
        return "pkcs11";
    }

    @Override
    public String description() {
        return "an AES key that never leaves an HSM (PKCS#11 through SunPKCS11)";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.required("library", ConfigProperty.Type.PATH, "the PKCS#11 module (.so)"),
                ConfigProperty.optional("slot", ConfigProperty.Type.LONG, null, "the token's slot id"),
                ConfigProperty.optional("slot-list-index", ConfigProperty.Type.INTEGER, "0",
                        "the token's index in the slot list (when slot is not set)"),
                ConfigProperty.optional("pin-env", ConfigProperty.Type.STRING, null,
                        "the environment variable holding the user PIN"),
                ConfigProperty.optional("pin-file", ConfigProperty.Type.PATH, null, "a file holding the user PIN"),
                ConfigProperty.optional("key-label", ConfigProperty.Type.STRING, "anima-vault-root",
                        "prefix of the key objects' labels"));
    }

    @Override
    public RootKeyProvider create(ProviderConfig config, PluginContext context) {
        Path library = config.getPath("library").orElseThrow();
        if (!Files.isRegularFile(library)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "PKCS#11 module " + library + " does not exist");
        }
        String label = config.getString("key-label", "anima-vault-root");
        if (!label.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new VaultException(ErrorCode.CONFIGURATION, "key-label must be 1-64 letters, digits, '.', '_' or '-'");
        }
        String slot = config.get("slot").map(s -> "slot = " + Long.parseLong(s))
                .orElse("slotListIndex = " + config.getInt("slot-list-index", 0));
        char[] pin = pin(config);
        try {
            return new Pkcs11RootKeyProvider(library, slot, pin, label);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    private static char[] pin(ProviderConfig config) {
        if (config.get("pin-env").isPresent()) {
            String name = config.get("pin-env").get();
            String v = System.getenv(name);
            if (v == null || v.isEmpty()) {
                throw new VaultException(ErrorCode.CONFIGURATION, "environment variable " + name + " (pin-env) is not set");
            }
            return v.toCharArray();
        }
        if (config.getPath("pin-file").isPresent()) {
            Path p = config.getPath("pin-file").get();
            try {
                byte[] b = Files.readAllBytes(p);
                try {
                    String s = new String(b, StandardCharsets.UTF_8);
                    int nl = s.indexOf('\n');
                    return (nl < 0 ? s : s.substring(0, nl)).strip().toCharArray();
                } finally {
                    Arrays.fill(b, (byte) 0);
                }
            } catch (IOException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "cannot read the PKCS#11 PIN from " + p + ": "
                        + e.getMessage());
            }
        }
        throw new VaultException(ErrorCode.CONFIGURATION, "the pkcs11 root key needs the token's PIN by reference: set "
                + "pin-env or pin-file");
    }
}
