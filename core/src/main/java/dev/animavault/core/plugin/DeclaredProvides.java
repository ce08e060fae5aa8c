package dev.animavault.core.plugin;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a plugin says it provides, read from its {@code plugin.properties} without a class loader, so that a
 * server start loads only the plugins its configuration selects (issue 19: startup).
 *
 * <p>The entry is {@code plugin.provides}, a comma-separated list of {@code kind:name} with the kinds
 * {@value #STORAGE}, {@value #CREDENTIAL}, {@value #AUDIT} and {@value #ROOT_KEY}, e.g.
 * {@code plugin.provides=storage-backend:jdbc}. A plugin without the entry, with an empty one or with a
 * kind this vault does not know is always loaded (as every plugin was before the entry existed). A
 * plugin that declares a root key provider is always loaded too: a keyring rotated on another node, or a
 * rotation request, may name any of them. Whether the declaration is true is checked whenever the plugin
 * is loaded ({@link PluginRegistry}).
 *
 * @param id         the plugin id ({@code plugin.id})
 * @param version    its version ({@code plugin.version})
 * @param names      the declared provider names by kind (sorted)
 */
record DeclaredProvides(String id, String version, Map<String, Set<String>> names) {
    /** The property a plugin declares its providers in. */
    static final String PROPERTY = "plugin.provides";
    static final String STORAGE = "storage-backend";
    static final String CREDENTIAL = "credential-type";
    static final String AUDIT = "audit-sink";
    static final String ROOT_KEY = "root-key-provider";
    private static final Set<String> KINDS = Set.of(STORAGE, CREDENTIAL, AUDIT, ROOT_KEY);

    DeclaredProvides {
        Map<String, Set<String>> copy = new TreeMap<>();
        for (String kind : KINDS) {
            copy.put(kind, Set.copyOf(new TreeSet<>(names.getOrDefault(kind, Set.of()))));
        }
        names = java.util.Collections.unmodifiableMap(copy);
    }

    /** Whether the plugin is loaded whatever the configuration selects: it declares a root key provider. */
    boolean alwaysLoaded() {
        return !of(ROOT_KEY).isEmpty();
    }

    /** The declared names of one kind (empty when none). */
    Set<String> of(String kind) {
        return names.getOrDefault(kind, Set.of());
    }

    /**
     * Reads the declaration of the plugin unpacked in {@code dir}.
     *
     * @return null when the plugin must be loaded whatever the configuration selects: no
     * {@code plugin.properties} (a manifest-described plugin), no or an empty {@code plugin.provides}, a kind
     * this vault does not know
     * @throws VaultException {@code CONFIGURATION} for an entry that is not {@code kind:name}, or an unreadable file
     */
    static DeclaredProvides read(Path dir) {
        Path file = dir.resolve("plugin.properties");
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "cannot read " + file + ": " + e.getMessage(), e);
        }
        String provides = p.getProperty(PROPERTY, "").strip();
        String id = p.getProperty("plugin.id", "").strip();
        if (provides.isEmpty() || id.isEmpty()) {
            return null;
        }
        Map<String, Set<String>> names = new TreeMap<>();
        for (String entry : provides.split(",")) {
            String e = entry.strip();
            int colon = e.indexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                throw new VaultException(ErrorCode.CONFIGURATION, "plugin '" + id + "' (" + file + ") has an entry '"
                        + e + "' in " + PROPERTY + " that is not kind:name (kinds: " + new TreeSet<>(KINDS) + ")");
            }
            String kind = e.substring(0, colon).strip();
            if (!KINDS.contains(kind)) {
                return null; // a kind of a later vault: only loading the plugin tells whether it matters
            }
            names.computeIfAbsent(kind, k -> new TreeSet<>()).add(e.substring(colon + 1).strip());
        }
        return new DeclaredProvides(id, p.getProperty("plugin.version", "").strip(), names);
    }
}
