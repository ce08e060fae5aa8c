package dev.animavault.core.plugin;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.ProviderFactory;
import java.util.Map;

/**
 * Calls {@link ProviderFactory#warmUp} of the providers the configuration selects, each on a daemon platform
 * thread of its own, so that their one-time preparation (a native library, generated downcall handles) runs
 * on the second core while the main thread opens the root key, storage and keyring (issue 19: startup).
 * Nothing waits for these threads: {@code create} may run before or during a warm-up (the SPI requires
 * both to be safe), and a failed warm-up is logged at DEBUG only (validation and {@code create} report the
 * real problem).
 */
public final class ProviderWarmUp {
    private static final System.Logger LOG = System.getLogger(ProviderWarmUp.class.getName());

    private ProviderWarmUp() {
    }

    /**
     * Starts the warm-up of the provider {@code spec} names in {@code from}, if there is one and its
     * configuration validates; otherwise does nothing.
     *
     * @return the started thread, or null
     */
    public static <F extends ProviderFactory<?>> Thread start(Map<String, PluginRegistry.Registered<F>> from,
                                                              ProviderSpec spec) {
        PluginRegistry.Registered<F> r = from.get(spec.type());
        if (r == null) {
            return null;
        }
        ProviderConfig config;
        try {
            config = ProviderConfig.validate(r.factory(), spec.config(), "warm-up");
        } catch (RuntimeException e) {
            return null; // reported with its real location when the provider is created
        }
        return Thread.ofPlatform().daemon().name("warm-up-" + spec.type()).start(() -> {
            Thread.currentThread().setContextClassLoader(r.loader());
            try {
                r.factory().warmUp(config);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.DEBUG, "warm-up of {0} failed: {1}", spec.type(), e.toString());
            }
        });
    }
}
