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
     * Checks a value supplied by a client, knowing the secret's user metadata (e.g. a {@code provider}
     * label that selects a format check). Core calls this one; the default ignores the metadata and
     * calls {@link #validate(SecretValue)}. Thread-safe like {@code validate}.
     *
     * @param metadata the secret's user metadata as it will be stored (never null, may be empty)
     */
    default void validate(SecretValue value, Map<String, String> metadata) {
        validate(value);
    }

    /**
     * A short masked hint that tells values apart without revealing them (e.g. {@code sk-p...x7Qa}),
     * computed by core when a value is written and shown in metadata listings. Types whose values must
     * not be partly shown (passwords, JSON documents) return empty, which is the default.
     *
     */
    default Optional<String> hint(SecretValue value) {
        return Optional.empty();
    }

    /**
     * Generates a new value (for rotation without a webhook-supplied value). Types that cannot generate
     * return empty.
     *
     * @param policy type-specific options (e.g. {@code length}, {@code charset}); may be empty
     * @throws dev.animavault.spi.VaultException {@code INVALID_ARGUMENT} naming a policy key that is unknown
     *                                           or out of range
     */
    default Optional<SecretValue> generate(Map<String, String> policy) {
        return Optional.empty();
    }

    /**
     * Turns the stored value into what the agent receives. The default returns it unchanged; an OAuth
     * type returns a live access token, refreshing it through the token endpoint and handing a rotated
     * refresh token to {@link MaterializationContext#replaceStoredValue}.
     *
     * <p>Core calls this on every read of a secret of this type, on the request's thread, so a type that
     * keeps the default costs nothing. A type that derives values from the stored one (an access token
     * from a refresh token) should use {@link MaterializationContext#derive} for caching and single
     * flight instead of calling out on every read. It must not hold monitors while calling the context
     * (virtual threads).
     *
     * @throws dev.animavault.spi.VaultException {@code REAUTHORIZATION_REQUIRED} when the stored grant no
     *                                           longer works, {@code UPSTREAM_UNAVAILABLE} (with a retry
     *                                           delay) when a dependency is down or slow
     */
    default SecretValue materialize(SecretValue stored, MaterializationContext context) {
        return stored;
    }

    /** Releases resources. Idempotent. */
    @Override
    default void close() {
    }
}
