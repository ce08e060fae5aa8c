package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.assertCode;
import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static dev.animavault.spi.testkit.StorageFixtures.withCurrent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Changes to stored versions outside a secret's revision: re-encryption in place
 * ({@link dev.animavault.spi.storage.StorageBackend#replaceVersionValue}) and destruction of retired versions
 * ({@link dev.animavault.spi.storage.StorageBackend#destroyVersion}), or their refusal with {@code UNAVAILABLE}
 * where the backend declares it does not support them. Implemented by {@link StorageBackendContract}.
 */
interface VersionRewriteContract extends StorageContractGroup {
    @Test
    default void replaceVersionValueIsConditionalOnTheStoredBytes() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "REENCRYPTED");
        SecretVersion v1 = version(ref, 1, "old-1");
        SecretMetadata m1 = backend().createSecret(secret(ref), v1);
        SecretMetadata m2 = backend().addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "old-2"));
        byte[] old1 = "old-1".getBytes(StandardCharsets.UTF_8);
        byte[] new1 = "new-1".getBytes(StandardCharsets.UTF_8);
        if (!contract().supportsVersionRewrite()) {
            assertCode(ErrorCode.UNAVAILABLE, () -> backend().replaceVersionValue(ref, 1, old1, new1));
            return;
        }
        assertEquals(m2, backend().getSecretMetadata(ref).orElseThrow());
        assertFalse(backend().replaceVersionValue(ref, 1, "not-the-value".getBytes(StandardCharsets.UTF_8), new1),
                "bytes differ: nothing replaced");
        assertTrue(backend().replaceVersionValue(ref, 1, old1, new1));
        assertFalse(backend().replaceVersionValue(ref, 1, old1, new1), "idempotent: the old bytes are gone");
        assertFalse(backend().replaceVersionValue(ref, 3, old1, new1), "no such version");
        assertFalse(backend().replaceVersionValue(new SecretRef(org(), "agent_1", "NOPE"), 1, old1, new1), "no such secret");
        SecretVersion read1 = backend().readSecret(ref, OptionalInt.of(1)).orElseThrow().version();
        assertArrayEquals(new1, read1.value());
        assertEquals(v1.createdAt(), read1.createdAt(), "created time kept");
        assertEquals(v1.createdBy(), read1.createdBy(), "author kept");
        assertArrayEquals("old-2".getBytes(StandardCharsets.UTF_8),
                backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version().value(), "other versions untouched");
        assertEquals(m2, backend().getSecretMetadata(ref).orElseThrow(), "metadata and revision unchanged");
        assertArrayEquals(new1, backend().listVersions(ref).get(0).value());
    }

    @Test
    default void destroyVersionRemovesOneOldVersionIdempotently() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "DESTROYED");
        SecretVersion v1 = version(ref, 1, "old-1");
        SecretMetadata m1 = backend().createSecret(secret(ref), v1);
        SecretMetadata m2 = backend().addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "old-2"));
        SecretVersion v3 = version(ref, 3, "cur-3");
        SecretMetadata m3 = backend().addVersion(withCurrent(m2, 3), m2.revision(), v3);
        SecretMetadata m4 = backend().addVersion(withCurrent(m3, 3), m3.revision(), version(ref, 4, "pending-4"));
        if (!contract().supportsVersionDestruction()) {
            assertCode(ErrorCode.UNAVAILABLE, () -> backend().destroyVersion(ref, 1));
            assertEquals(4, backend().listVersions(ref).size(), "nothing destroyed");
            return;
        }
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend().destroyVersion(ref, 3)); // current
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend().destroyVersion(ref, 4)); // above current (pending)
        assertTrue(backend().destroyVersion(ref, 1));
        assertFalse(backend().destroyVersion(ref, 1), "idempotent: already gone");
        assertFalse(backend().destroyVersion(new SecretRef(org(), "agent_1", "NOPE"), 1), "no such secret");
        assertEquals(Optional.empty(), backend().readSecret(ref, OptionalInt.of(1)), "value gone");
        assertEquals(List.of(2, 3, 4), backend().listVersions(ref).stream().map(SecretVersion::version).toList());
        assertArrayEquals("old-2".getBytes(StandardCharsets.UTF_8),
                backend().readSecret(ref, OptionalInt.of(2)).orElseThrow().version().value(), "other versions untouched");
        assertEquals(v3, backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version(), "current untouched");
        assertEquals(m4, backend().getSecretMetadata(ref).orElseThrow(), "metadata and revision unchanged");
        // the next version is numbered past every stored one, as before
        SecretMetadata m5 = backend().addVersion(withCurrent(m4, 5), m4.revision(), version(ref, 5, "new-5"));
        assertEquals(5, m5.currentVersion());
        assertTrue(backend().destroyVersion(ref, 2));
        assertTrue(backend().destroyVersion(ref, 4), "an abandoned pending version below current");
        assertEquals(List.of(3, 5), backend().listVersions(ref).stream().map(SecretVersion::version).toList());
    }
}
