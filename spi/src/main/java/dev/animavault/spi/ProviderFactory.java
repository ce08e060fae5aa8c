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
 * Before {@code create}, core may call {@link #warmUp} on another thread (see there).
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

    /**
     * Optional: prepares, ahead of {@link #create}, the slow one-time work that creating will need and that
     * touches nothing of the vault's: initializing classes, loading a native library (issue 19, startup).
     * Core calls it at most once per configured provider, at startup, right after the plugins are loaded, on
     * a background thread of its own (the plugin's class loader as the thread context class loader), while
     * it goes on opening the root key, storage and keyring. {@link #create} may therefore run before this
     * returns or concurrently with it: an implementation must be thread-safe and idempotent (class
     * initialization and the JDK's native library loading are), must not open files or connections that
     * {@code create} would own, and must not fail: what it throws is logged at DEBUG and otherwise ignored
     * ({@code create} reports the real problem). Default: nothing.
     *
     * @param config the validated configuration the provider will be created with
     */
    default void warmUp(ProviderConfig config) {
    }
}
