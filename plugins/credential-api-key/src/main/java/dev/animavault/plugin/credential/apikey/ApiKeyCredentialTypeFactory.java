package dev.animavault.plugin.credential.apikey;

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
 * Creates the {@code api_key} credential type. Stateless and thread-safe.
 *
 * <p>Configuration:
 * <ul>
 *   <li>{@code max-length} (integer, default {@value ApiKeyCredentialType#DEFAULT_MAX_BYTES}): the largest
 *       accepted value in bytes of UTF-8, from 1 to {@value ApiKeyCredentialType#MAX_MAX_BYTES}. It is also
 *       the type's {@code maxValueBytes()}, so core refuses larger values with {@code VALUE_TOO_LARGE}.</li>
 * </ul>
 */
public final class ApiKeyCredentialTypeFactory implements CredentialTypeFactory {
    /** The type id and factory name. */
    public static final String NAME = "api_key";
    /** Configuration key of the maximum value length in bytes. */
    public static final String MAX_LENGTH = "max-length";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Opaque API keys: validated for copy-paste mistakes, generated as base62 with an optional prefix";
    }

    @Override
    public List<ConfigProperty> configProperties() {
        return List.of(ConfigProperty.optional(MAX_LENGTH, ConfigProperty.Type.INTEGER,
                Integer.toString(ApiKeyCredentialType.DEFAULT_MAX_BYTES),
                "largest accepted api_key value in bytes (1-" + ApiKeyCredentialType.MAX_MAX_BYTES + ")"));
    }

    @Override
    public CredentialType create(ProviderConfig config, PluginContext context) {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        int maxLength = config.getInt(MAX_LENGTH, ApiKeyCredentialType.DEFAULT_MAX_BYTES);
        if (maxLength < 1 || maxLength > ApiKeyCredentialType.MAX_MAX_BYTES) {
            throw new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + MAX_LENGTH + "' of provider '"
                    + NAME + "' must be between 1 and " + ApiKeyCredentialType.MAX_MAX_BYTES);
        }
        return new ApiKeyCredentialType(maxLength);
    }

    @Override
    public String toString() {
        return "ApiKeyCredentialTypeFactory[" + NAME + "]";
    }
}
