package dev.animavault.plugin.credential.apikey;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ConfigProperty;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import dev.animavault.spi.credential.CredentialTypeFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Creates the {@code api_key} credential type. Stateless and thread-safe.
 *
 * <p>Configuration:
 * <ul>
 *   <li>{@code max-length} (integer, default {@value ApiKeyCredentialType#DEFAULT_MAX_BYTES}): the largest
 *       accepted value in bytes of UTF-8, from 1 to {@value ApiKeyCredentialType#MAX_MAX_BYTES}. It is also
 *       the type's {@code maxValueBytes()}, so core refuses larger values with {@code VALUE_TOO_LARGE}.</li>
 *   <li>{@code formats} (string, default none): per API provider a pattern (Java regex) the whole value
 *       must match, one {@code provider=pattern} per line (or separated by {@code ;;}); a secret opts in
 *       with the metadata label {@code provider}, e.g. {@code openai=sk-(proj-)?[A-Za-z0-9_-]{20,}}.</li>
 *   <li>{@code hints} (boolean, default true): show a masked hint ({@code sk-p...x7Qa}) of long keys in
 *       metadata listings.</li>
 * </ul>
 */
public final class ApiKeyCredentialTypeFactory implements CredentialTypeFactory {
    /** The type id and factory name. */
    public static final String NAME = "api_key";
    /** Configuration key of the maximum value length in bytes. */
    public static final String MAX_LENGTH = "max-length";
    /** Configuration key of the per-provider formats. */
    public static final String FORMATS = "formats";
    /** Configuration key that turns masked hints on or off. */
    public static final String HINTS = "hints";

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
                "largest accepted api_key value in bytes (1-" + ApiKeyCredentialType.MAX_MAX_BYTES + ")"),
                ConfigProperty.optional(FORMATS, ConfigProperty.Type.STRING, null,
                        "per API provider a regex the whole value must match: 'provider=regex' per line or "
                                + "separated by ';;'; selected by the secret's metadata label 'provider'"),
                ConfigProperty.optional(HINTS, ConfigProperty.Type.BOOLEAN, "true",
                        "show a masked hint (first and last 4 characters) of keys of 16+ characters in listings"));
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
        return new ApiKeyCredentialType(maxLength, formats(config.getString(FORMATS, "")),
                config.getBoolean(HINTS, true));
    }

    static Map<String, Pattern> formats(String text) {
        Map<String, Pattern> out = new LinkedHashMap<>();
        for (String line : text.split("\\R|;;")) {
            String entry = line.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String provider = eq < 0 ? "" : entry.substring(0, eq).strip();
            if (eq < 0 || !provider.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + FORMATS + "' of provider '"
                        + NAME + "': each entry must be provider=regex with a provider name of A-Z a-z 0-9 _ . -");
            }
            try {
                out.put(provider, Pattern.compile(entry.substring(eq + 1).strip()));
            } catch (PatternSyntaxException e) {
                throw new VaultException(ErrorCode.CONFIGURATION, "configuration key '" + FORMATS + "' of provider '"
                        + NAME + "': the pattern for '" + provider + "' is not a valid regex: " + e.getDescription());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "ApiKeyCredentialTypeFactory[" + NAME + "]";
    }
}
