package dev.animavault.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Immutable configuration handed to a factory's {@code create}: a string map with typed getters.
 * Core builds it from the deployment's configuration with {@link #validate} against the factory's
 * declared {@link ConfigProperty properties} (defaults filled in, unknown keys refused), so a factory
 * may rely on required keys being present. {@link #toString()} masks sensitive values.
 *
 * <p>Typed getters throw {@link VaultException} with {@link ErrorCode#CONFIGURATION} and a message that
 * names the key (never the value of a sensitive key) when a value does not parse.
 */
public final class ProviderConfig {
    private static final String MASK = "<masked>";

    private final String providerName;
    private final Map<String, String> values;
    private final Set<String> sensitiveKeys;

    private ProviderConfig(String providerName, Map<String, String> values, Set<String> sensitiveKeys) {
        this.providerName = Objects.requireNonNull(providerName, "providerName is null");
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
        this.sensitiveKeys = Set.copyOf(sensitiveKeys);
    }

    /**
     * @param providerName  the provider this configuration is for (used in messages)
     * @param values        key/value pairs (copied)
     * @param sensitiveKeys keys whose values are masked when printed
     */
    public static ProviderConfig of(String providerName, Map<String, String> values, Set<String> sensitiveKeys) {
        return new ProviderConfig(providerName, values, sensitiveKeys);
    }

    /**
     * Validates a provider's raw configuration against the properties its factory declares and builds
     * the configuration handed to {@link ProviderFactory#create}. This is what core applies at startup to
     * every configured provider; test kits call it to hand a factory exactly what core would.
     *
     * <p>Unknown keys are refused with a message listing the known ones; absent keys take the declared
     * default; a required key with neither value nor default is refused; values are checked against the
     * declared {@link ConfigProperty.Type type}; keys declared sensitive are marked so they are masked
     * when printed. Messages name the key and where it was written, never the value of a sensitive key.
     * Stateless and thread-safe.
     *
     * @param factory the factory whose {@link ProviderFactory#configProperties() properties} apply
     * @param raw     the configuration as written (not modified)
     * @param where   where it was written, for messages, e.g. {@code vault.storage.config}
     * @return the validated configuration, defaults filled in
     * @throws VaultException with {@link ErrorCode#CONFIGURATION} naming the offending key
     */
    public static ProviderConfig validate(ProviderFactory<?> factory, Map<String, String> raw, String where) {
        Objects.requireNonNull(factory, "factory is null");
        Objects.requireNonNull(raw, "raw is null");
        Objects.requireNonNull(where, "where is null");
        List<ConfigProperty> props = factory.configProperties();
        Map<String, ConfigProperty> byName = new LinkedHashMap<>();
        props.forEach(p -> byName.put(p.name(), p));
        for (String key : raw.keySet()) {
            if (!byName.containsKey(key)) {
                throw new VaultException(ErrorCode.CONFIGURATION, "unknown key '" + key + "' in " + where
                        + " for '" + factory.name() + "'; known keys: " + new TreeSet<>(byName.keySet()));
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> sensitive = new HashSet<>();
        for (ConfigProperty p : props) {
            String v = raw.get(p.name());
            if (v == null) {
                v = p.defaultValue();
            }
            if (p.sensitive()) {
                sensitive.add(p.name());
            }
            if (v == null) {
                if (p.required()) {
                    throw new VaultException(ErrorCode.CONFIGURATION, "missing required key '" + p.name() + "' in "
                            + where + " for '" + factory.name() + "': " + p.description());
                }
                continue;
            }
            checkType(p, v, where, factory.name());
            values.put(p.name(), v);
        }
        return of(factory.name(), values, sensitive);
    }

    private static void checkType(ConfigProperty p, String v, String where, String provider) {
        String problem = switch (p.type()) {
            case INTEGER -> parses(() -> Integer.parseInt(v.trim())) ? null : "an integer";
            case LONG -> parses(() -> Long.parseLong(v.trim())) ? null : "an integer";
            case BOOLEAN -> v.trim().matches("(?i)true|false|yes|no|on|off") ? null : "true or false";
            case DURATION -> parses(() -> Durations.parse(v)) ? null : "a duration such as 30s, 5m or 30d";
            case STRING, PATH -> null;
        };
        if (problem != null) {
            throw new VaultException(ErrorCode.CONFIGURATION, "key '" + p.name() + "' in " + where + " for '"
                    + provider + "' must be " + problem + (p.sensitive() ? "" : " (got '" + v + "')"));
        }
    }

    private static boolean parses(Runnable r) {
        try {
            r.run();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** An empty configuration for the named provider. */
    public static ProviderConfig empty(String providerName) {
        return new ProviderConfig(providerName, Map.of(), Set.of());
    }

    /** The provider name this configuration belongs to. */
    public String providerName() {
        return providerName;
    }

    /** All keys present. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** The raw value, if present. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The value of a required key. */
    public String require(String key) {
        String v = values.get(key);
        if (v == null || v.isBlank()) {
            throw error(key, "is required");
        }
        return v;
    }

    public String getString(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    public int getInt(String key, int defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw error(key, "must be an integer");
        }
    }

    public long getLong(String key, long defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw error(key, "must be an integer");
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(key, "must be true or false");
        };
    }

    /**
     * A duration value ({@link Durations#parse}); no setting takes a negative duration, so one is refused
     * here for every provider.
     *
     * @throws VaultException {@code CONFIGURATION} when the value is not a duration or is negative
     */
    public Duration getDuration(String key, Duration defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        Duration d;
        try {
            d = Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw error(key, "must be a duration such as 30s, 5m or 30d");
        }
        if (d.isNegative()) {
            throw error(key, "must not be negative");
        }
        return d;
    }

    /** A path value; relative paths are returned as given (resolve them against the data directory). */
    public Optional<Path> getPath(String key) {
        String v = values.get(key);
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(v));
        } catch (java.nio.file.InvalidPathException e) {
            throw error(key, "is not a valid path");
        }
    }

    /** Whether the key is sensitive. */
    public boolean isSensitive(String key) {
        return sensitiveKeys.contains(key);
    }

    /** A copy of the values with sensitive ones masked, fit for logs. */
    public Map<String, String> masked() {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, sensitiveKeys.contains(k) ? MASK : v));
        return out;
    }

    private VaultException error(String key, String what) {
        return new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + key + "' of provider '"
                + providerName + "' " + what);
    }

    @Override
    public String toString() {
        return "ProviderConfig[" + providerName + " " + masked() + "]";
    }
}
