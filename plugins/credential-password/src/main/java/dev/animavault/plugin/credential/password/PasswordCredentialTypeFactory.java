package dev.animavault.plugin.credential.password;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.util.List;

/**
 * Creates the {@code password} credential type. Stateless and thread-safe.
 *
 * <p>Configuration: {@code max-length} (bytes, default 1024), {@code min-length} (characters, default 0 =
 * no check), {@code require-classes} (e.g. {@code lower,upper,digit,symbol}; default none),
 * {@code generate-length} (default 24), {@code exclude-lookalikes} (default true).
 */
public final class PasswordCredentialTypeFactory implements CredentialTypeFactory {
    /** The type id and factory name. */
    public static final String NAME = "password";
    static final String MAX_LENGTH = "max-length";
    static final String MIN_LENGTH = "min-length";
    static final String REQUIRE_CLASSES = "require-classes";
    static final String GENERATE_LENGTH = "generate-length";
    static final String EXCLUDE_LOOKALIKES = "exclude-lookalikes";
    private static final int MAX_MAX_BYTES = 64 * 1024;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Passwords: optional strength checks for supplied values, generation from SecureRandom";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(
                ConfigProperty.optional(MAX_LENGTH, ConfigProperty.Type.INTEGER, "1024",
                        "largest accepted password in bytes (1-" + MAX_MAX_BYTES + ")"),
                ConfigProperty.optional(MIN_LENGTH, ConfigProperty.Type.INTEGER, "0",
                        "fewest characters a supplied password must have; 0 turns the check off"),
                ConfigProperty.optional(REQUIRE_CLASSES, ConfigProperty.Type.STRING, "",
                        "character classes a supplied password must contain: lower, upper, digit, symbol"),
                ConfigProperty.optional(GENERATE_LENGTH, ConfigProperty.Type.INTEGER, "24",
                        "characters generated when the generate policy gives no length"),
                ConfigProperty.optional(EXCLUDE_LOOKALIKES, ConfigProperty.Type.BOOLEAN, "true",
                        "leave out 0 O 1 l I | when generating, unless the policy says otherwise"));
    }

    @Override
    public CredentialType create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        int maxBytes = config.getInt(MAX_LENGTH, 1024);
        int minLength = config.getInt(MIN_LENGTH, 0);
        int generateLength = config.getInt(GENERATE_LENGTH, 24);
        if (maxBytes < 1 || maxBytes > MAX_MAX_BYTES) {
            throw configError(MAX_LENGTH, "must be between 1 and " + MAX_MAX_BYTES);
        }
        if (minLength < 0 || minLength > maxBytes) {
            throw configError(MIN_LENGTH, "must be between 0 and max-length");
        }
        if (generateLength < Math.max(PasswordCredentialType.MIN_GENERATED_LENGTH, minLength)
                || generateLength > Math.min(PasswordCredentialType.MAX_GENERATED_LENGTH, maxBytes)) {
            throw configError(GENERATE_LENGTH, "must be at least 8 and min-length, and at most 1024 and max-length");
        }
        var required = CharacterClass.parse(config.getString(REQUIRE_CLASSES, ""),
                "configuration key '" + REQUIRE_CLASSES + "' of provider '" + NAME + "'", ErrorCode.CONFIGURATION);
        return new PasswordCredentialType(new PasswordCredentialType.Settings(maxBytes, minLength, required,
                generateLength, config.getBoolean(EXCLUDE_LOOKALIKES, true)));
    }

    private static VaultException configError(String key, String what) {
        return new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + key + "' of provider '" + NAME
                + "' " + what);
    }

    @Override
    public String toString() {
        return "PasswordCredentialTypeFactory[" + NAME + "]";
    }
}
