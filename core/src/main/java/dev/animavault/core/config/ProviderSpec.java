package dev.animavault.core.config;

import java.util.Map;
import java.util.Objects;

/**
 * A provider named in configuration: its type (the factory name) and its raw configuration.
 *
 * @param type   the factory name, e.g. {@code jdbc}
 * @param config the provider's flat configuration (copied)
 */
public record ProviderSpec(String type, Map<String, String> config) {
    public ProviderSpec {
        Objects.requireNonNull(type, "type is null");
        config = Map.copyOf(config);
    }

    /** Type and keys only: values may be credentials resolved from the environment. */
    @Override
    public String toString() {
        return "ProviderSpec[type=" + type + ", keys=" + new java.util.TreeSet<>(config.keySet()) + "]";
    }

    /** A spec with no configuration. */
    public static ProviderSpec of(String type) {
        return new ProviderSpec(type, Map.of());
    }
}
