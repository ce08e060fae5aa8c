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

    /** How long deliveries are also signed with the secret a rotation replaced, so receivers can switch. */
    static final java.time.Duration OVERLAP = java.time.Duration.ofHours(24);

    /**
     * A signing secret and when it was made, with the one it replaced while that is still used to sign
     * (Standard Webhooks allows several signatures in one header).
     */
    record Secret(String value, Instant createdAt, String previous, Instant previousUntil) {
        /** The secrets to sign with at {@code now}: this one, and the previous one during the overlap. */
        java.util.List<String> signingAt(Instant now) {
            return previous != null && previousUntil != null && now.isBefore(previousUntil)
                    ? java.util.List.of(value, previous) : java.util.List.of(value);
        }

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

    /**
     * Replaces the organization's secret and returns the new one (shown once). For {@link #OVERLAP}
     * deliveries carry a signature with the replaced secret too, so receivers can switch without losing
     * deliveries.
     */
    Secret rotate(String org, Instant now) {
        for (int attempt = 0; ; attempt++) {
            Optional<StoredRecord> r = storage.getRecord(NAMESPACE, org);
            Secret old = r.map(x -> decode(barrier.openRecord(NAMESPACE, org, x.value()))).orElse(null);
            Secret fresh = fresh(now);
            Secret stored = old == null ? fresh : new Secret(fresh.value(), now, old.value(), now.plus(OVERLAP));
            byte[] sealed = barrier.sealRecord(NAMESPACE, org, encode(stored));
            try {
                storage.putRecord(NAMESPACE, org, sealed, r.map(StoredRecord::revision).orElse(0L));
                return fresh;
            } catch (VaultException e) {
                // none was stored when read, and current() (a delivery) created one meanwhile: rotate that
                // one (it becomes the previous secret). A concurrent rotation (a revision conflict) is not retried.
                if (e.errorCode() != ErrorCode.ALREADY_EXISTS || r.isPresent() || attempt >= 2) {
                    throw e;
                }
            }
        }
    }

    private static Secret fresh(Instant now) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new Secret(WebhookSigner.PREFIX + Base64.getEncoder().encodeToString(key), now, null, null);
    }

    // createdAt \n secret [\n previousUntil \n previous]
    private static byte[] encode(Secret s) {
        String text = s.createdAt().toEpochMilli() + "\n" + s.value();
        if (s.previous() != null) {
            text += "\n" + s.previousUntil().toEpochMilli() + "\n" + s.previous();
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Secret decode(byte[] plain) {
        String[] p = new String(plain, StandardCharsets.UTF_8).split("\n", 4);
        java.util.Arrays.fill(plain, (byte) 0);
        return p.length == 4
                ? new Secret(p[1], Instant.ofEpochMilli(Long.parseLong(p[0])), p[3], Instant.ofEpochMilli(Long.parseLong(p[2])))
                : new Secret(p[1], Instant.ofEpochMilli(Long.parseLong(p[0])), null, null);
    }
}
