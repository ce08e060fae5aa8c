package dev.animavault.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * One configuration property a factory accepts. Core rejects configuration keys no property declares,
 * fills in defaults, checks required ones and types, and masks sensitive ones wherever configuration
 * is printed.
 *
 * @param name         the key, e.g. {@code url}; lower-case words joined by dashes
 * @param type         the value type checked at startup
 * @param defaultValue the default in string form, or {@code null} for none
 * @param required     whether startup fails when the key is absent and there is no default
 * @param sensitive    whether the value is a credential (masked as {@code <masked>} when printed)
 * @param description  one line for the configuration reference
 */
public record ConfigProperty(String name, Type type, String defaultValue, boolean required, boolean sensitive,
                             String description) {

    /** Value types understood by {@link ProviderConfig}'s typed getters. */
    public enum Type {
        STRING, INTEGER, LONG, BOOLEAN,
        /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 30d} or ISO-8601 ({@code PT30S}). */
        DURATION,
        /** A file system path; relative paths are resolved against the data directory by the plugin. */
        PATH
    }

    public ConfigProperty {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(type, "type is null");
        Objects.requireNonNull(description, "description is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name is blank");
        }
    }

    /** An optional property with a default (which may be null). */
    public static ConfigProperty optional(String name, Type type, String defaultValue, String description) {
        return new ConfigProperty(name, type, defaultValue, false, false, description);
    }

    /** A required property without a default. */
    public static ConfigProperty required(String name, Type type, String description) {
        return new ConfigProperty(name, type, null, true, false, description);
    }

    /** This property, marked sensitive. */
    public ConfigProperty asSensitive() {
        return new ConfigProperty(name, type, defaultValue, required, true, description);
    }

    /** The default value, if any. */
    public Optional<String> defaultValueOptional() {
        return Optional.ofNullable(defaultValue);
    }
}
