package dev.animavault.core.rootkey;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.plugin.PluginRegistry;
import dev.animavault.core.plugin.Tccl;
import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.rootkey.RootKeyProviderFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Every root key provider this node knows, by name: core's built-in ones ({@code file}, {@code env},
 * {@code passphrase}) and the plugins' ({@code pkcs11}, ...). Creates providers from configuration: at
 * startup from {@code vault.root-key}, during a rotation from the request. Thread-safe; immutable.
 */
public final class RootKeyProviders {
    private final Map<String, PluginRegistry.Registered<RootKeyProviderFactory>> factories;
    private final Map<String, String> env;
    private final PluginContext context;
    private final Path defaultFile;

    /**
     * @param plugins     the loaded plugins
     * @param env         the process environment
     * @param passphrase  the passphrase from standard input, if the server was started with one
     * @param context     the plugin context providers get
     * @param defaultFile the {@code file} provider's path when its configuration names none
     *                    ({@code vault.root-key.file})
     */
    public RootKeyProviders(PluginRegistry plugins, Map<String, String> env, Supplier<Optional<char[]>> passphrase,
                            PluginContext context, Path defaultFile) {
        Map<String, PluginRegistry.Registered<RootKeyProviderFactory>> all = new TreeMap<>();
        for (RootKeyProviderFactory f : BuiltInRootKeyProviders.factories(env, passphrase)) {
            all.put(f.name(), new PluginRegistry.Registered<>(f, "core", RootKeyProviders.class.getClassLoader()));
        }
        if (plugins != null) {
            plugins.rootKeyProviders().forEach((name, r) -> {
                if (all.putIfAbsent(name, r) != null) {
                    throw new VaultException(ErrorCode.CONFIGURATION, "plugin " + r.pluginId() + " provides the root "
                            + "key provider '" + name + "' that core has built in");
                }
            });
        }
        this.factories = Map.copyOf(all);
        this.env = Map.copyOf(env);
        this.context = context;
        this.defaultFile = defaultFile;
    }

    /** The provider names, sorted. */
    public java.util.Set<String> names() {
        return new java.util.TreeSet<>(factories.keySet());
    }

    /**
     * Creates the provider a spec names.
     *
     * @param where the configuration key for messages, e.g. {@code vault.root-key}
     * @throws VaultException {@code CONFIGURATION} naming the known providers for an unknown type, or for
     *                        bad configuration
     */
    public RootKeyProvider create(ProviderSpec spec, String where) {
        PluginRegistry.Registered<RootKeyProviderFactory> r = PluginRegistry.require(factories, spec.type(),
                "root key provider", where + ".type");
        Map<String, String> raw = new LinkedHashMap<>(spec.config());
        if ("file".equals(spec.type()) && !raw.containsKey("path")) {
            String fromEnv = env.get(BuiltInRootKeyProviders.DEFAULT_ENV);
            if (fromEnv != null && !fromEnv.isBlank()) {
                // as before root key providers: ANIMA_VAULT_ROOT_KEY overrides the key file
                return new EnvRootKeyProvider(BuiltInRootKeyProviders.DEFAULT_ENV, fromEnv);
            }
            raw.put("path", defaultFile.toString());
        }
        ProviderConfig config = ProviderConfig.validate(r.factory(), raw, where + ".config");
        RootKeyProvider created = Tccl.call(r.loader(), () -> r.factory().create(config, context));
        return "core".equals(r.pluginId()) ? created : Tccl.wrap(RootKeyProvider.class, created, r.loader());
    }

    /**
     * Refuses a rotation request's configuration that holds a credential: it is recorded beside the keyring,
     * so credentials must be passed by reference (a variable's name, a file path).
     */
    public void requireNoSensitive(ProviderSpec spec) {
        PluginRegistry.Registered<RootKeyProviderFactory> r = factories.get(spec.type());
        if (r == null) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "unknown root key provider '" + spec.type()
                    + "'; available: " + names());
        }
        for (ConfigProperty p : r.factory().configProperties()) {
            if (p.sensitive() && spec.config().containsKey(p.name())) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "root key provider '" + spec.type() + "' property '"
                        + p.name() + "' is a credential: pass it by reference in the node's configuration, never in a "
                        + "rotation request");
            }
        }
    }
}
