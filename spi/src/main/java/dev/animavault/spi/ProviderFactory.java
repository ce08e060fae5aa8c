package dev.animavault.spi;

import java.util.List;

/**
 * A named, stateless factory for one kind of provider (a storage backend, a credential type, an audit
 * sink). Factories are created once by PF4J and resolved once into core's registry; they must be
 * thread-safe and hold no state of their own.
 *
 * <p>Lifecycle: core calls {@link #configProperties()} to validate the configuration, then
 * {@link #create} once per configured instance, at startup, on one thread, with the plugin's class
 * loader as the thread context class loader. Core closes what it created in reverse creation order.
 *
 * @param <T> what the factory creates
 */
public interface ProviderFactory<T extends AutoCloseable> {

    /**
     * The name configuration uses to pick this provider, e.g. {@code jdbc}, {@code file},
     * {@code api_key}. Lower case; unique per kind across all loaded plugins.
     */
    String name();

    /** One line for listings and error messages. */
    default String description() {
        return "";
    }

    /**
     * The configuration keys this provider accepts. Keys not listed here make startup fail with a
     * message listing these.
     */
    List<ConfigProperty> configProperties();

    /**
     * Creates a ready-to-use instance.
     *
     * @param config  validated configuration (defaults applied, required keys present)
     * @param context services core lends to the plugin
     * @return a new instance; core owns it and closes it
     * @throws VaultException with {@link ErrorCode#CONFIGURATION} for bad configuration, or
     *                        {@link ErrorCode#STORAGE_UNAVAILABLE}/{@link ErrorCode#UPSTREAM_ERROR} when a
     *                        dependency cannot be reached
     */
    T create(ProviderConfig config, PluginContext context);
}
