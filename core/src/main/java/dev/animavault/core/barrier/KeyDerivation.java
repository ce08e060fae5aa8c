package dev.animavault.core.barrier;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys {@link Barrier} derives one-way from keyring keys with HMAC-SHA256 (the audit keys of a purpose, the
 * storage integrity key of a data key), and the HMAC-SHA256 instances its MAC pools hold. Called when a keyring
 * is loaded or a derived key is asked for, never per sealed value.
 */
final class KeyDerivation {
    private KeyDerivation() {
    }

    /** {@code HMAC-SHA256(auditKey, "anima-vault/audit-key/v1/" + purpose)}, as an {@code HmacSHA256} key. */
    static SecretKey auditKey(SecretKey auditKey, String purpose) {
        Mac mac = newMac(auditKey);
        byte[] derived = mac.doFinal(("anima-vault/audit-key/v1/" + purpose).getBytes(StandardCharsets.UTF_8));
        try {
            return new SecretKeySpec(derived, "HmacSHA256");
        } finally {
            Arrays.fill(derived, (byte) 0);
        }
    }

    /** {@code HMAC-SHA256(dataKey, "anima-vault/integrity/v1")}, as an {@code HmacSHA256} key. */
    static SecretKey integrityKey(SecretKey dataKey) {
        byte[] raw = dataKey.getEncoded();
        try {
            Mac mac = newMac(new SecretKeySpec(raw, "HmacSHA256"));
            byte[] derived = mac.doFinal("anima-vault/integrity/v1".getBytes(StandardCharsets.UTF_8));
            try {
                return new SecretKeySpec(derived, "HmacSHA256");
            } finally {
                Arrays.fill(derived, (byte) 0);
            }
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** A new HMAC-SHA256 instance initialized with {@code key}. */
    static Mac newMac(SecretKey key) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
