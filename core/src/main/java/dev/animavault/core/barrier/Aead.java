package dev.animavault.core.barrier;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/** AES-256-GCM with the JDK provider (AES-NI): random 96-bit nonce, 128-bit tag. */
final class Aead {
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final InstancePool<Cipher> CIPHERS = new InstancePool<>(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
        }
    });

    private Aead() {
    }

    /** Returns header || nonce || ciphertext+tag. */
    static byte[] seal(SecretKey key, byte[] header, byte[] plaintext, byte[] aad) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        Cipher c = CIPHERS.take();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad);
            byte[] out = new byte[header.length + NONCE_BYTES + c.getOutputSize(plaintext.length)];
            System.arraycopy(header, 0, out, 0, header.length);
            System.arraycopy(nonce, 0, out, header.length, NONCE_BYTES);
            c.doFinal(plaintext, 0, plaintext.length, out, header.length + NONCE_BYTES);
            return out;
        } catch (GeneralSecurityException e) {
            throw new VaultException(ErrorCode.INTERNAL, "AES-GCM encryption failed", e);
        } finally {
            CIPHERS.give(c);
        }
    }

    /** Opens nonce || ciphertext+tag found after {@code headerLength} bytes. */
    static byte[] open(SecretKey key, byte[] sealed, int headerLength, byte[] aad) {
        if (sealed.length < headerLength + NONCE_BYTES + TAG_BITS / 8) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "sealed value is truncated");
        }
        Cipher c = CIPHERS.take();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, headerLength, NONCE_BYTES));
            c.updateAAD(aad);
            int offset = headerLength + NONCE_BYTES;
            return c.doFinal(sealed, offset, sealed.length - offset);
        } catch (AEADBadTagException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "stored value failed authentication (wrong key, "
                    + "tampering, or a value moved to another secret)");
        } catch (GeneralSecurityException e) {
            throw new VaultException(ErrorCode.INTERNAL, "AES-GCM decryption failed", e);
        } finally {
            CIPHERS.give(c);
        }
    }
}
