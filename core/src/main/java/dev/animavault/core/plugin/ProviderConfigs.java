package dev.animavault.core.plugin;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.Durations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.ProviderFactory;
import dev.animavault.spi.VaultException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validates a provider's raw configuration against the properties its factory declares: unknown keys
 * and missing required keys stop startup, values are type-checked, defaults are filled in.
 */
public final class ProviderConfigs {
    private ProviderConfigs() {
    }

    /**
     * @param factory   the factory whose properties apply
     * @param raw       the configuration as written
     * @param configKey where it was written (for messages), e.g. {@code vault.storage.config}
     */
    public static ProviderConfig validate(ProviderFactory<?> factory, Map<String, String> raw, String configKey) {
        List<ConfigProperty> props = factory.configProperties();
        Map<String, ConfigProperty> byName = new LinkedHashMap<>();
        props.forEach(p -> byName.put(p.name(), p));
        for (String key : raw.keySet()) {
            if (!byName.containsKey(key)) {
                throw new VaultException(ErrorCode.CONFIGURATION, "unknown key '" + key + "' in " + configKey
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
                            + configKey + " for '" + factory.name() + "': " + p.description());
                }
                continue;
            }
            check(p, v, configKey, factory.name());
            values.put(p.name(), v);
        }
        return ProviderConfig.of(factory.name(), values, sensitive);
    }

    private static void check(ConfigProperty p, String v, String configKey, String provider) {
        String problem = switch (p.type()) {
            case INTEGER -> parses(() -> Integer.parseInt(v.trim())) ? null : "an integer";
            case LONG -> parses(() -> Long.parseLong(v.trim())) ? null : "an integer";
            case BOOLEAN -> v.trim().matches("(?i)true|false|yes|no|on|off") ? null : "true or false";
            case DURATION -> parses(() -> Durations.parse(v)) ? null : "a duration such as 30s, 5m or 30d";
            case STRING, PATH -> null;
        };
        if (problem != null) {
            throw new VaultException(ErrorCode.CONFIGURATION, "key '" + p.name() + "' in " + configKey + " for '"
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
}
