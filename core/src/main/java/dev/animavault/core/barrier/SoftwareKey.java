package dev.animavault.core.barrier;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A 256-bit root key held in memory (the {@code file}, {@code env} and {@code passphrase} providers):
 * AES-256-GCM wrapping as {@code nonce (12) | ciphertext+tag}, the layout the keyring record had before
 * key ids existed, and one-way identifiers. Used by the built-in root key providers. Immutable; {@link #wipe()} zeroes the copy it holds.
 */
public final class SoftwareKey {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] raw;

    public SoftwareKey(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("a root key has 256 bits");
        }
        this.raw = raw.clone();
    }

    public static SoftwareKey random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        try {
            return new SoftwareKey(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Parses base64 text; {@code where} names the source in the error. */
    public static SoftwareKey decode(String b64, String where) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(b64.trim());
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key in " + where + " is not base64");
        }
        if (raw.length != 32) {
            throw new VaultException(ErrorCode.CONFIGURATION, "root key in " + where + " must be 32 bytes (base64 of "
                    + "256 random bits), got " + raw.length);
        }
        try {
            return new SoftwareKey(raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** The key as base64 text (to write a key file). */
    public String encode() {
        return Base64.getEncoder().encodeToString(raw);
    }

    /** A non-secret id: {@code k-} and 16 hex digits of HMAC-SHA256(key, "anima-vault/root-key-id"). */
    public String id() {
        return "k-" + HexFormat.of().formatHex(hmac("anima-vault/root-key-id"), 0, 8);
    }

    /** The deployment id keyrings made before key ids existed carry implicitly (see RootKeyIds). */
    public String legacyDeploymentId() {
        return "dep_" + HexFormat.of().formatHex(hmac("anima-vault/deployment-id"), 0, 8);
    }

    private byte[] hmac(String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(raw, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] wrap(byte[] plaintext, byte[] aad) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[12 + ct.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new VaultException(ErrorCode.INTERNAL, "AES-GCM wrapping failed", e);
        }
    }

    public byte[] unwrap(byte[] wrapped, byte[] aad) {
        if (wrapped.length < 12 + 16) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "wrapped keyring is truncated");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, wrapped, 0, 12));
            c.updateAAD(aad);
            return c.doFinal(wrapped, 12, wrapped.length - 12);
        } catch (AEADBadTagException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "the root key does not open the wrapped keyring");
        } catch (GeneralSecurityException e) {
            throw new VaultException(ErrorCode.INTERNAL, "AES-GCM unwrapping failed", e);
        }
    }

    public void wipe() {
        Arrays.fill(raw, (byte) 0);
    }

    @Override
    public String toString() {
        return "SoftwareKey[<masked>]";
    }
}
