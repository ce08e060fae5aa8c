package dev.animavault.core.plugin;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderFactory;
import dev.animavault.spi.SpiVersion;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.VaultPlugin;
import dev.animavault.spi.audit.AuditSinkFactory;
import dev.animavault.spi.credential.CredentialTypeFactory;
import dev.animavault.spi.rootkey.RootKeyProviderFactory;
import dev.animavault.spi.storage.StorageBackendFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pf4j.BasePluginRepository;
import org.pf4j.DefaultPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginRepository;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.pf4j.RuntimeMode;

/**
 * Loads plugin zips once with PF4J (deployment mode) and resolves every {@link VaultPlugin} extension
 * into an immutable registry of factories by kind and name. Startup fails when a zip does not load, a
 * plugin needs another SPI version, or two plugins offer the same name. A server start loads only the plugins
 * its configuration selects ({@link #load(Path, Selection)}, {@link DeclaredProvides}). The zips are unpacked by
 * {@link UnpackedPlugins} (atomically, and again when a zip changed), and PF4J loads the directories.
 */
public final class PluginRegistry implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PluginRegistry.class.getName());

    /**
     * A factory with the plugin it came from.
     *
     * @param factory  the factory
     * @param pluginId the PF4J plugin id
     * @param loader   the plugin's class loader (made the TCCL for calls into the plugin)
     * @param <F>      the factory type
     */
    public record Registered<F extends ProviderFactory<?>>(F factory, String pluginId, ClassLoader loader) {
    }

    private final PluginManager manager;
    private final Map<String, Registered<StorageBackendFactory>> storage;
    private final Map<String, Registered<CredentialTypeFactory>> credentialTypes;
    private final Map<String, Registered<AuditSinkFactory>> auditSinks;
    private final Map<String, Registered<RootKeyProviderFactory>> rootKeyProviders;
    /** Installed plugins not loaded because the configuration uses none of their providers, by plugin id. */
    private final Map<String, DeclaredProvides> notLoaded;

    private PluginRegistry(PluginManager manager, Map<String, Registered<StorageBackendFactory>> storage,
                           Map<String, Registered<CredentialTypeFactory>> credentialTypes,
                           Map<String, Registered<AuditSinkFactory>> auditSinks,
                           Map<String, Registered<RootKeyProviderFactory>> rootKeyProviders,
                           Map<String, DeclaredProvides> notLoaded) {
        this.notLoaded = Collections.unmodifiableMap(notLoaded);
        this.manager = manager;
        this.storage = Collections.unmodifiableMap(storage);
        this.credentialTypes = Collections.unmodifiableMap(credentialTypes);
        this.auditSinks = Collections.unmodifiableMap(auditSinks);
        this.rootKeyProviders = Collections.unmodifiableMap(rootKeyProviders);
    }

    /**
     * The provider names a start uses ({@code vault.storage}, {@code vault.audit}, {@code vault.credential-types}):
     * a plugin whose {@code plugin.provides} declares none of them is not loaded ({@link DeclaredProvides}).
     *
     * @param storageBackends storage backend names
     * @param credentialTypes credential type names
     * @param auditSinks      audit sink names
     */
    public record Selection(Set<String> storageBackends, Set<String> credentialTypes, Set<String> auditSinks) {
        public Selection {
            storageBackends = Set.copyOf(storageBackends);
            credentialTypes = Set.copyOf(credentialTypes);
            auditSinks = Set.copyOf(auditSinks);
        }

        /** What a node started with {@code config} uses. */
        public static Selection of(VaultConfig config) {
            return new Selection(Set.of(config.storage().type()), Set.copyOf(config.credentialTypeIds()),
                    config.audit().stream().map(ProviderSpec::type).collect(Collectors.toSet()));
        }

        private boolean touches(DeclaredProvides d) {
            return d.alwaysLoaded() || !Collections.disjoint(d.of(DeclaredProvides.STORAGE), storageBackends)
                    || !Collections.disjoint(d.of(DeclaredProvides.CREDENTIAL), credentialTypes)
                    || !Collections.disjoint(d.of(DeclaredProvides.AUDIT), auditSinks);
        }
    }

    /**
     * Loads every plugin zip in the directory.
     *
     * @param pluginsDir a writable directory (zips are unpacked next to them)
     */
    public static PluginRegistry load(Path pluginsDir) {
        return load(pluginsDir, null);
    }

    /**
     * Loads the plugin zips in the directory that {@code selection} needs: every plugin but those whose
     * {@code plugin.provides} names none of the selected providers (issue 19: a start loads 5 of the 10
     * bundled plugins with the default configuration). The others are listed by {@link #plugins()} from
     * their declaration. When a selected provider is still missing after that (a misconfiguration, or an
     * undeclared plugin's name), every plugin is loaded, so that errors list all that is installed.
     *
     * @param pluginsDir a writable directory (zips are unpacked next to them)
     * @param selection  the providers the caller uses, or null for all plugins
     */
    public static PluginRegistry load(Path pluginsDir, Selection selection) {
        Objects.requireNonNull(pluginsDir, "pluginsDir is null");
        if (!Files.isDirectory(pluginsDir)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "plugins directory " + pluginsDir
                    + " does not exist (set ANIMA_VAULT_PLUGINS_DIR or vault.plugins-dir)");
        }
        if (!Files.isWritable(pluginsDir)) {
            throw new VaultException(ErrorCode.CONFIGURATION, "plugins directory " + pluginsDir
                    + " is not writable (plugin zips are unpacked next to them)");
        }
        List<Path> zips = listZips(pluginsDir);
        UnpackedPlugins.prepare(pluginsDir, zips);
        Map<String, DeclaredProvides> skipped = selection == null ? Map.of() : unselected(pluginsDir, selection);
        PluginRegistry registry = loadDirectories(pluginsDir, zips, skipped);
        if (!skipped.isEmpty() && !registry.provides(selection)) {
            LOG.log(System.Logger.Level.INFO, "A configured provider is not among the selected plugins'' (storage {0}, "
                    + "credential types {1}, audit sinks {2}): loading every plugin", selection.storageBackends(),
                    selection.credentialTypes(), selection.auditSinks());
            registry.close();
            registry = loadDirectories(pluginsDir, zips, Map.of());
        }
        return registry;
    }

    /**
     * Issue 19: initialises PF4J's plugin manager classes (and with them SLF4J, which PF4J logs through: its
     * binding is found by a service lookup) on the calling warm-up thread, so that {@link #load} on the main thread
     * finds them ready. Loads no plugin and touches no file of the plugins directory; a failure is logged at DEBUG
     * and left to {@link #load}, which reports it.
     */
    public static void warmUp() {
        try {
            Class.forName("org.pf4j.DefaultPluginManager", true, PluginRegistry.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "PF4J warm-up failed (the registry loads it later anyway): " + e);
        }
    }

    private boolean provides(Selection selection) {
        return storage.keySet().containsAll(selection.storageBackends())
                && credentialTypes.keySet().containsAll(selection.credentialTypes())
                && auditSinks.keySet().containsAll(selection.auditSinks());
    }

    /** The plugin directories (by directory name) whose declaration names none of the selected providers. */
    private static Map<String, DeclaredProvides> unselected(Path pluginsDir, Selection selection) {
        Map<String, DeclaredProvides> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(pluginsDir)) {
            for (Path dir : s.filter(Files::isDirectory).sorted().toList()) {
                String name = dir.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                DeclaredProvides d = DeclaredProvides.read(dir);
                if (d != null && !selection.touches(d)) {
                    out.put(name, d);
                }
            }
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot list plugins directory " + pluginsDir, e);
        }
        return out;
    }

    private static PluginRegistry loadDirectories(Path pluginsDir, List<Path> zips, Map<String, DeclaredProvides> skipped) {
        DefaultPluginManager manager = new DefaultPluginManager(pluginsDir) {
            @Override
            public RuntimeMode getRuntimeMode() {
                return RuntimeMode.DEPLOYMENT;
            }

            @Override
            protected PluginRepository createPluginRepository() {
                // Directories only, as UnpackedPlugins left them: PF4J's own unpacking writes into the final
                // directory, so a crash in the middle left a half plugin that later starts loaded silently.
                // Hidden entries are the temporary directories of an unpack; skipped ones are not selected.
                return new BasePluginRepository(getPluginsRoots(), f -> f.isDirectory() && !f.getName().startsWith(".")
                        && !skipped.containsKey(f.getName()));
            }
        };
        manager.setSystemVersion(SpiVersion.CURRENT);
        manager.setExactVersionAllowed(false);
        try {
            manager.loadPlugins();
            manager.startPlugins();
        } catch (RuntimeException e) {
            shutdown(manager);
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot load plugins from " + pluginsDir + ": "
                    + e.getMessage(), e);
        }
        try {
            checkAllStarted(manager, zips.stream().filter(z -> !skipped.containsKey(UnpackedPlugins.unpackedDir(z)
                    .getFileName().toString())).toList(), pluginsDir);
            Map<String, Registered<StorageBackendFactory>> storage = new TreeMap<>();
            Map<String, Registered<CredentialTypeFactory>> types = new TreeMap<>();
            Map<String, Registered<AuditSinkFactory>> sinks = new TreeMap<>();
            Map<String, Registered<RootKeyProviderFactory>> rootKeys = new TreeMap<>();
            for (PluginWrapper plugin : manager.getStartedPlugins()) {
                ClassLoader loader = plugin.getPluginClassLoader();
                for (VaultPlugin ext : manager.getExtensions(VaultPlugin.class, plugin.getPluginId())) {
                    register(storage, ext.storageBackends(), plugin, loader, "storage backend");
                    register(types, ext.credentialTypes(), plugin, loader, "credential type");
                    register(sinks, ext.auditSinks(), plugin, loader, "audit sink");
                    register(rootKeys, ext.rootKeyProviders(), plugin, loader, "root key provider");
                }
            }
            Map<String, DeclaredProvides> notLoaded = new TreeMap<>();
            for (DeclaredProvides d : skipped.values()) {
                notLoaded.put(d.id(), d);
            }
            PluginRegistry registry = new PluginRegistry(manager, storage, types, sinks, rootKeys, notLoaded);
            registry.checkDeclarations();
            LOG.log(System.Logger.Level.INFO, "Loaded plugins {0}; storage backends {1}; credential types {2}; "
                    + "audit sinks {3}{4}", manager.getStartedPlugins().stream().map(PluginWrapper::getPluginId).toList(),
                    storage.keySet(), types.keySet(), sinks.keySet(), notLoaded.isEmpty() ? ""
                            : "; not loaded (the configuration uses none of their providers) " + notLoaded.keySet());
            return registry;
        } catch (RuntimeException e) {
            shutdown(manager);
            throw e;
        }
    }

    /**
     * A loaded plugin's {@code plugin.provides}, when it has one, must name exactly what it provides (else
     * a start that selects by it would miss the plugin); the names the plugins not loaded declare must not
     * clash with any other plugin's.
     */
    private void checkDeclarations() {
        for (PluginWrapper p : manager.getStartedPlugins()) {
            DeclaredProvides d = DeclaredProvides.read(p.getPluginPath());
            if (d == null) {
                continue;
            }
            String id = p.getPluginId();
            Map<String, Set<String>> actual = Map.of(DeclaredProvides.STORAGE, Set.copyOf(namesOf(storage, id)),
                    DeclaredProvides.CREDENTIAL, Set.copyOf(namesOf(credentialTypes, id)),
                    DeclaredProvides.AUDIT, Set.copyOf(namesOf(auditSinks, id)),
                    DeclaredProvides.ROOT_KEY, Set.copyOf(namesOf(rootKeyProviders, id)));
            if (!actual.equals(d.names())) {
                throw new VaultException(ErrorCode.CONFIGURATION, "plugin '" + id + "' (" + p.getPluginPath()
                        + ") declares " + DeclaredProvides.PROPERTY + " " + new TreeMap<>(d.names()) + " but provides "
                        + new TreeMap<>(actual) + "; correct its plugin.properties");
            }
        }
        Map<String, String> owners = new TreeMap<>();
        for (DeclaredProvides d : notLoaded.values()) {
            for (String kind : d.names().keySet()) {
                Map<String, ? extends Registered<?>> loaded = switch (kind) {
                    case DeclaredProvides.STORAGE -> storage;
                    case DeclaredProvides.CREDENTIAL -> credentialTypes;
                    case DeclaredProvides.AUDIT -> auditSinks;
                    default -> rootKeyProviders;
                };
                for (String name : d.of(kind)) {
                    String other = loaded.containsKey(name) ? loaded.get(name).pluginId()
                            : owners.putIfAbsent(kind + ":" + name, d.id());
                    if (other != null) {
                        throw new VaultException(ErrorCode.CONFIGURATION, "two plugins provide the " + kind.replace('-', ' ')
                                + " '" + name + "': " + other + " and " + d.id());
                    }
                }
            }
        }
    }

    private static List<Path> listZips(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".zip")).sorted().toList();
        } catch (IOException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot list plugins directory " + dir, e);
        }
    }

    private static void checkAllStarted(PluginManager manager, List<Path> zips, Path dir) {
        List<String> problems = new ArrayList<>();
        for (PluginWrapper p : manager.getPlugins()) {
            if (p.getPluginState() != PluginState.STARTED) {
                String why = p.getFailedException() != null ? p.getFailedException().getMessage() : "";
                String requires = p.getDescriptor().getRequires();
                if (!manager.getVersionManager().checkVersionConstraint(SpiVersion.CURRENT, requires)) {
                    why = "it requires SPI " + requires + " but this vault provides " + SpiVersion.CURRENT;
                }
                problems.add("plugin '" + p.getPluginId() + "' (" + p.getPluginPath().getFileName() + ") is "
                        + p.getPluginState() + (why.isBlank() ? "" : ": " + why));
            }
        }
        for (Path zip : zips) {
            Path expanded = UnpackedPlugins.unpackedDir(zip);
            boolean loaded = manager.getPlugins().stream().anyMatch(p -> p.getPluginPath().toAbsolutePath().normalize()
                    .equals(expanded.toAbsolutePath().normalize()) || p.getPluginPath().equals(zip));
            if (!loaded) {
                problems.add(zip.getFileName() + " is not a loadable plugin (needs plugin.properties with plugin.id, "
                        + "plugin.version and plugin.requires, classes/ and lib/)");
            }
        }
        if (!problems.isEmpty()) {
            throw new VaultException(ErrorCode.CONFIGURATION, "plugins in " + dir + " failed to load: "
                    + String.join("; ", problems));
        }
    }

    private static <F extends ProviderFactory<?>> void register(Map<String, Registered<F>> into, List<F> factories,
                                                                PluginWrapper plugin, ClassLoader loader,
                                                                String kind) {
        for (F f : factories) {
            String name = f.name();
            Registered<F> previous = into.putIfAbsent(name, new Registered<>(f, plugin.getPluginId(), loader));
            if (previous != null) {
                throw new VaultException(ErrorCode.CONFIGURATION, "two plugins provide the " + kind + " '" + name
                        + "': " + previous.pluginId() + " and " + plugin.getPluginId());
            }
        }
    }

    /**
     * A loaded plugin and the provider names it contributes.
     *
     * @param id               the PF4J plugin id
     * @param version          its version
     * @param storageBackends  storage backend names
     * @param credentialTypes  credential type names
     * @param auditSinks       audit sink names
     * @param loaded           false for a plugin not loaded because the configuration uses none of its
     *                         providers (the names are then those its {@code plugin.provides} declares)
     */
    public record PluginInfo(String id, String version, List<String> storageBackends, List<String> credentialTypes,
                             List<String> auditSinks, boolean loaded) {
    }

    /** The installed plugins, by id, with what each provides: the started ones and those not loaded. */
    public List<PluginInfo> plugins() {
        List<PluginInfo> out = new ArrayList<>();
        for (PluginWrapper p : manager.getStartedPlugins()) {
            String id = p.getPluginId();
            out.add(new PluginInfo(id, p.getDescriptor().getVersion(), namesOf(storage, id), namesOf(credentialTypes, id),
                    namesOf(auditSinks, id), true));
        }
        for (DeclaredProvides d : notLoaded.values()) {
            out.add(new PluginInfo(d.id(), d.version(), sorted(d.of(DeclaredProvides.STORAGE)),
                    sorted(d.of(DeclaredProvides.CREDENTIAL)), sorted(d.of(DeclaredProvides.AUDIT)), false));
        }
        out.sort(java.util.Comparator.comparing(PluginInfo::id));
        return out;
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }

    private static List<String> namesOf(Map<String, ? extends Registered<?>> from, String pluginId) {
        return from.entrySet().stream().filter(e -> e.getValue().pluginId().equals(pluginId)).map(Map.Entry::getKey)
                .sorted().toList();
    }

    /** Storage backend factories by name. */
    public Map<String, Registered<StorageBackendFactory>> storageBackends() {
        return storage;
    }

    /** Credential type factories by name. */
    public Map<String, Registered<CredentialTypeFactory>> credentialTypes() {
        return credentialTypes;
    }

    /** Audit sink factories by name. */
    public Map<String, Registered<AuditSinkFactory>> auditSinks() {
        return auditSinks;
    }

    /** Root key provider factories contributed by plugins, by name (core's built-in ones are not here). */
    public Map<String, Registered<RootKeyProviderFactory>> rootKeyProviders() {
        return rootKeyProviders;
    }

    /** Looks a factory up by name or fails with a message listing what is available. */
    public static <F extends ProviderFactory<?>> Registered<F> require(Map<String, Registered<F>> from, String name,
                                                                        String kind, String configKey) {
        Registered<F> r = from.get(name);
        if (r == null) {
            throw new VaultException(ErrorCode.CONFIGURATION, "unknown " + kind + " '" + name + "' in " + configKey
                    + "; available: " + (from.isEmpty() ? "none (no plugin provides one)" : from.keySet()));
        }
        return r;
    }

    @Override
    public void close() {
        shutdown(manager);
    }

    // PF4J 3.15's stopPlugins()/unloadPlugins() modify the list they iterate; go one plugin at a time.
    private static void shutdown(PluginManager manager) {
        for (PluginWrapper p : new ArrayList<>(manager.getStartedPlugins())) {
            try {
                manager.stopPlugin(p.getPluginId());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Cannot stop plugin " + p.getPluginId() + ": " + e.getMessage());
            }
        }
        for (PluginWrapper p : new ArrayList<>(manager.getPlugins())) {
            try {
                manager.unloadPlugin(p.getPluginId());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Cannot unload plugin " + p.getPluginId() + ": " + e.getMessage());
            }
        }
    }
}
