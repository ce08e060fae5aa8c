package dev.animavault.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret value (or a token shown once). {@link #toString()} prints {@code ********}, so logging a
 * {@link Secret} or a request record never leaks it; {@link #reveal()} returns the value.
 */
public final class SecretValue {
    private static final String MASK = "********";
    private final String value;

    private SecretValue(String value) {
        this.value = Objects.requireNonNull(value, "value is null");
    }

    /** Wraps a value. */
    public static SecretValue of(String value) {
        return new SecretValue(value);
    }

    /** The plain value. */
    public String reveal() {
        return value;
    }

    /** The value as UTF-8 bytes (a new array the caller may wipe). */
    public byte[] revealBytes() {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** Always {@code ********}. */
    @Override
    public String toString() {
        return MASK;
    }

    /** Compares the values in constant time. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SecretValue other && MessageDigest.isEqual(revealBytes(), other.revealBytes());
    }

    @Override
    public int hashCode() {
        return 1; // no hash of the value: hash codes end up in logs and heap dumps
    }
}
