package dev.animavault.spi.credential;

import dev.animavault.spi.SecretValue;
import java.util.Map;
import java.util.Optional;

/**
 * A kind of credential ({@code api_key}, {@code password}, {@code oauth_refresh}, ...). Instances are
 * created once at startup and called concurrently from many threads; they must be thread-safe.
 */
public interface CredentialType extends AutoCloseable {

    /** The type id secrets carry, e.g. {@code api_key}. Equals the factory's name. */
    String id();

    /**
     * The largest value this type accepts, in bytes. Core refuses larger values with
     * {@code VALUE_TOO_LARGE} before calling {@link #validate}. Default 64 KiB.
     */
    default int maxValueBytes() {
        return 64 * 1024;
    }

    /**
     * Checks a value supplied by a client before it is stored.
     *
     * @throws dev.animavault.spi.VaultException {@code INVALID_VALUE} with a message that says what is
     *                                           wrong without quoting the value
     */
    void validate(SecretValue value);

    /**
     * Generates a new value (for rotation without a webhook-supplied value). Types that cannot generate
     * return empty.
     *
     * @param policy type-specific options (e.g. {@code length}, {@code charset}); may be empty
     */
    default Optional<SecretValue> generate(Map<String, String> policy) {
        return Optional.empty();
    }

    /**
     * Turns the stored value into what the agent receives. The default returns it unchanged; an OAuth
     * type returns a live access token, refreshing it through the token endpoint and handing a rotated
     * refresh token to {@link MaterializationContext#replaceStoredValue}.
     */
    default SecretValue materialize(SecretValue stored, MaterializationContext context) {
        return stored;
    }

    /** Releases resources. Idempotent. */
    @Override
    default void close() {
    }
}
