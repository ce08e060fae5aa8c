package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builders for the storage value types used by {@link StorageBackendContract}. Timestamps are
 * truncated to milliseconds: every backend must keep at least millisecond precision.
 */
public final class StorageFixtures {

    private StorageFixtures() {
    }

    /** A fresh id such as {@code org-3f9a0c1e2b7d}, unique across test runs. */
    public static String uniqueId(String prefix) {
        requireNonNull(prefix, "prefix is null");
        return prefix + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    }

    /** The current time, truncated to milliseconds. */
    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** An identity with the given labels and a placeholder revision the backend must ignore on create. */
    public static Identity identity(String organizationId, String id, Map<String, String> metadata) {
        Instant t = now();
        return new Identity(organizationId, id, "Agent " + id, metadata, false, t, t, 42);
    }

    /** An identity without labels. */
    public static Identity identity(String organizationId, String id) {
        return identity(organizationId, id, Map.of());
    }

    /** Metadata of a new secret whose current version is {@code currentVersion}. */
    public static SecretMetadata secret(SecretRef ref, int currentVersion, Map<String, String> metadata,
                                        Map<String, String> attributes) {
        Instant t = now();
        return new SecretMetadata(ref, "api_key", currentVersion, metadata, attributes, t, t, 9);
    }

    /** Metadata of a new secret with current version 1 and no labels. */
    public static SecretMetadata secret(SecretRef ref) {
        return secret(ref, 1, Map.of(), Map.of());
    }

    /** A copy of {@code m} pointing at another current version, with a later {@code updatedAt}. */
    public static SecretMetadata withCurrent(SecretMetadata m, int currentVersion) {
        return new SecretMetadata(m.ref(), m.type(), currentVersion, m.metadata(), m.attributes(), m.createdAt(),
                now(), m.revision());
    }

    /** A copy of {@code m} with other labels and attributes. */
    public static SecretMetadata withMaps(SecretMetadata m, Map<String, String> metadata,
                                          Map<String, String> attributes) {
        return new SecretMetadata(m.ref(), m.type(), m.currentVersion(), metadata, attributes, m.createdAt(), now(),
                m.revision());
    }

    /** A version holding the given bytes. */
    public static SecretVersion version(SecretRef ref, int version, byte[] value) {
        return new SecretVersion(ref, version, value, now(), "apikey:ak_test");
    }

    /** A version holding the UTF-8 bytes of {@code value}. */
    public static SecretVersion version(SecretRef ref, int version, String value) {
        return version(ref, version, utf8(value));
    }

    /** UTF-8 bytes of a string. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code n} random bytes. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** All 256 byte values, twice, the second time in descending order. */
    public static byte[] allByteValues() {
        byte[] b = new byte[512];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
            b[511 - i] = (byte) i;
        }
        return b;
    }
}
