package dev.animavault.spi.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * One version of a secret's value. Versions are immutable once written.
 *
 * @param ref       the secret
 * @param version   the version number, 1, 2, 3, ... without gaps
 * @param value     sealed ciphertext ({@link Protection#NONE}) or plaintext ({@link Protection#NATIVE});
 *                  copied in and out, never printed
 * @param createdAt when it was written
 * @param createdBy the principal that wrote it (e.g. {@code apikey:ak_1f2e}); never a credential
 */
public record SecretVersion(SecretRef ref, int version, byte[] value, Instant createdAt, String createdBy) {
    public SecretVersion {
        Objects.requireNonNull(ref, "ref is null");
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1");
        }
        value = Objects.requireNonNull(value, "value is null").clone();
        Objects.requireNonNull(createdAt, "createdAt is null");
        Objects.requireNonNull(createdBy, "createdBy is null");
    }

    /** A copy of the value bytes. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretVersion v && v.version == version && v.ref.equals(ref)
                && java.util.Arrays.equals(v.value, value) && v.createdAt.equals(createdAt)
                && v.createdBy.equals(createdBy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ref, version, createdAt, createdBy);
    }

    @Override
    public String toString() {
        return "SecretVersion[ref=" + ref + ", version=" + version + ", value=<masked>, createdAt=" + createdAt
                + ", createdBy=" + createdBy + "]";
    }
}
