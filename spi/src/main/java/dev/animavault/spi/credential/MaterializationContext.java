package dev.animavault.spi.credential;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.storage.SecretRef;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What core tells a credential type when an agent reads a secret. One instance per read; used by the
 * read's thread only (not thread-safe unless an implementation says so). Grows by default methods: a
 * type must keep working with an older core whose context has only the defaults.
 */
public interface MaterializationContext {

    /** The secret being read. */
    SecretRef ref();

    /** The version being read. */
    int version();

    /** The secret's user metadata. */
    Map<String, String> metadata();

    /**
     * Stores a new value as a new current version of the secret (e.g. a rotated refresh token), with a
     * conditional write; returns after it is durable. Called inside {@link #derive}, core writes only if
     * the version the deriver was given is still the current one (a newer version written meanwhile, say
     * a new refresh token an administrator stored, is never replaced by an older grant's token), and
     * throws {@code REVISION_CONFLICT} when it is not.
     */
    void replaceStoredValue(SecretValue newValue);

    /** The clock to use for expiry decisions (tests may move it). The default is the system UTC clock. */
    default Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * The secret's current version; {@link #version()} is lower when a client asked for an older one.
     * Types that derive values from the latest stored state (a rotating refresh token) refuse to
     * materialize older versions. The default is {@link #version()}.
     */
    default int currentVersion() {
        return version();
    }

    /**
     * Adds a field that is not secret (e.g. {@code tokenType}, {@code expiresAt}, {@code scope}) to the
     * read response beside {@code value}. Names are 1-32 ASCII letters and must not collide with the
     * response's own fields ({@code value}, {@code key}, {@code version}, ...); a colliding or malformed
     * name is ignored. The default drops the field.
     */
    default void responseField(String name, String value) {
    }

    /**
     * Returns a value derived from the stored one (e.g. a live access token), from a sealed cache while
     * it is fresh, else by calling {@code deriver} and caching what it returns until
     * {@link Derived#refreshAt()}.
     *
     * <p>Core's implementation gives single flight: concurrent reads of the same secret in one process
     * wait for one call of {@code deriver}, and across processes sharing the storage only the process
     * that wins a conditional write on the cache entry (a claim) calls it, the others wait for its result.
     * The deriver is handed the secret's <em>current</em> stored value, read afresh once the claim is
     * held, not necessarily {@code stored}; {@link #replaceStoredValue} called from inside it writes
     * conditionally on that version. A {@code REAUTHORIZATION_REQUIRED} thrown by the deriver is
     * remembered for that version (later reads fail the same way without calling it, until a new version
     * is stored) and audited. Other exceptions are not cached.
     *
     * <p>The default has no cache and no single flight: it calls {@code deriver} with {@code stored}.
     *
     * @param stored  the stored value of the version being read
     * @param deriver computes the derived value from a stored value; must not return null
     * @return the cached or new derived value; the caller may wipe its value
     */
    default Derived derive(SecretValue stored, Function<SecretValue, Derived> deriver) {
        return Objects.requireNonNull(deriver.apply(stored), "deriver returned null");
    }

    /**
     * A value derived from a stored value and the time it should be derived anew.
     *
     * @param value     the derived value (e.g. a JSON document the type understands); {@code toString()}
     *                  masks it
     * @param refreshAt from this instant on the cached value is not used any more
     */
    record Derived(SecretValue value, Instant refreshAt) {
        public Derived {
            Objects.requireNonNull(value, "value is null");
            Objects.requireNonNull(refreshAt, "refreshAt is null");
        }
    }
}
