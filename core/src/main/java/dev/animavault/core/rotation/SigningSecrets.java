package dev.animavault.core.rotation;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * One webhook signing secret per organization ({@code whsec_} + base64 of 32 random bytes), kept as
 * record {@value #NAMESPACE}/{@code <org>} sealed by the barrier (AAD bound to the record's namespace and
 * key). Created on first need; {@link #rotate} replaces it and is the one place the secret is shown.
 */
final class SigningSecrets {
    static final String NAMESPACE = "rotation-signing";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A signing secret and when it was made. */
    record Secret(String value, Instant createdAt) {
        @Override
        public String toString() {
            return "Secret[value=<masked>, createdAt=" + createdAt + "]";
        }
    }

    private final StorageBackend storage;
    private final Barrier barrier;

    SigningSecrets(StorageBackend storage, Barrier barrier) {
        this.storage = storage;
        this.barrier = barrier;
    }

    /** The organization's secret, created if it has none yet. */
    Secret current(String org, Instant now) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<StoredRecord> r = storage.getRecord(NAMESPACE, org);
            if (r.isPresent()) {
                return decode(barrier.openRecord(NAMESPACE, org, r.get().value()));
            }
            Secret fresh = fresh(now);
            try {
                storage.putRecord(NAMESPACE, org, barrier.sealRecord(NAMESPACE, org, encode(fresh)), 0);
                return fresh;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
            }
        }
        throw new VaultException(ErrorCode.REVISION_CONFLICT, "the signing secret changed concurrently; retry");
    }

    /** Replaces the organization's secret and returns the new one (shown once). */
    Secret rotate(String org, Instant now) {
        Secret fresh = fresh(now);
        byte[] sealed = barrier.sealRecord(NAMESPACE, org, encode(fresh));
        Optional<StoredRecord> r = storage.getRecord(NAMESPACE, org);
        storage.putRecord(NAMESPACE, org, sealed, r.map(StoredRecord::revision).orElse(0L));
        return fresh;
    }

    private static Secret fresh(Instant now) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new Secret(WebhookSigner.PREFIX + Base64.getEncoder().encodeToString(key), now);
    }

    private static byte[] encode(Secret s) {
        return (s.createdAt().toEpochMilli() + "\n" + s.value()).getBytes(StandardCharsets.UTF_8);
    }

    private static Secret decode(byte[] plain) {
        String[] p = new String(plain, StandardCharsets.UTF_8).split("\n", 2);
        java.util.Arrays.fill(plain, (byte) 0);
        return new Secret(p[1], Instant.ofEpochMilli(Long.parseLong(p[0])));
    }
}
