package dev.animavault.plugin.storage.vaultwarden.crypto;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Bitwarden's client-side key derivation and encryption. Stateless and thread-safe.
 *
 * <ul>
 *   <li>master key: PBKDF2-HMAC-SHA256(password, salt = normalised email) or Argon2id v0x13(password,
 *       salt = SHA-256(normalised email)), 32 bytes;</li>
 *   <li>master password hash (what the server stores): PBKDF2-HMAC-SHA256(masterKey, password, 1);</li>
 *   <li>stretched master key: HKDF-Expand(masterKey, "enc") || HKDF-Expand(masterKey, "mac");</li>
 *   <li>EncString type 2: AES-256-CBC/PKCS7 with a random IV, HMAC-SHA256(macKey, iv || ct), the MAC
 *       checked in constant time before anything is decrypted;</li>
 *   <li>RSA-OAEP (types 3/4) for organization keys.</li>
 * </ul>
 */
public final class BitwardenCrypto {
    private static final SecureRandom RANDOM = new SecureRandom();

    private BitwardenCrypto() {
    }

    /** Random bytes from a shared {@link SecureRandom}. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The salt Bitwarden derives from an email: trimmed and lower-cased. */
    public static String normalizeEmail(String email) {
        return Objects.requireNonNull(email, "email is null").trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Derives the 32-byte master key.
     *
     * @param password the master password
     * @param salt     the account's salt (the email; normalised here)
     * @param kdf      the account's KDF settings
     */
    public static byte[] masterKey(char[] password, String salt, Kdf kdf) {
        Objects.requireNonNull(password, "password is null");
        Objects.requireNonNull(kdf, "kdf is null");
        byte[] saltBytes = normalizeEmail(salt).getBytes(StandardCharsets.UTF_8);
        if (kdf.type() == Kdf.PBKDF2_SHA256) {
            // SunJCE's PBKDF2 encodes the char[] password as UTF-8, as Bitwarden does.
            PBEKeySpec spec = new PBEKeySpec(password, saltBytes, kdf.iterations(), 256);
            try {
                return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            } catch (GeneralSecurityException e) {
                throw new CryptoException("PBKDF2 failed", e);
            } finally {
                spec.clearPassword();
            }
        }
        byte[] pw = utf8(password);
        try {
            Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withSalt(sha256(saltBytes))
                    .withIterations(kdf.iterations())
                    .withMemoryAsKB(kdf.memoryMiB() * 1024)
                    .withParallelism(kdf.parallelism())
                    .build();
            Argon2BytesGenerator gen = new Argon2BytesGenerator();
            gen.init(params);
            byte[] out = new byte[32];
            gen.generateBytes(pw, out);
            return out;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /**
     * The master password hash the server authenticates with ("ServerAuthorization" purpose):
     * base64(PBKDF2-HMAC-SHA256(password = masterKey, salt = masterPassword, 1 iteration, 32 bytes)).
     */
    public static String masterPasswordHash(byte[] masterKey, char[] password) {
        Objects.requireNonNull(masterKey, "masterKey is null");
        byte[] pw = utf8(Objects.requireNonNull(password, "password is null"));
        try {
            // One PBKDF2 iteration is U1 = HMAC(P, S || INT(1)).
            byte[] block = new byte[pw.length + 4];
            System.arraycopy(pw, 0, block, 0, pw.length);
            block[block.length - 1] = 1;
            byte[] hash = hmacSha256(masterKey, block);
            Arrays.fill(block, (byte) 0);
            return Base64.getEncoder().encodeToString(hash);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Stretches a 32-byte master key into a 64-byte key with HKDF-Expand (no extract step). */
    public static SymmetricKey stretch(byte[] masterKey) {
        Objects.requireNonNull(masterKey, "masterKey is null");
        byte[] enc = hkdfExpand32(masterKey, "enc");
        byte[] mac = hkdfExpand32(masterKey, "mac");
        try {
            return SymmetricKey.of(enc, mac);
        } finally {
            Arrays.fill(enc, (byte) 0);
            Arrays.fill(mac, (byte) 0);
        }
    }

    private static byte[] hkdfExpand32(byte[] prk, String info) {
        byte[] infoBytes = info.getBytes(StandardCharsets.UTF_8);
        byte[] t = Arrays.copyOf(infoBytes, infoBytes.length + 1);
        t[infoBytes.length] = 1;
        return hmacSha256(prk, t);
    }

    /** Encrypts to an EncString of type 2 with a fresh random IV. */
    public static EncString encrypt(byte[] plaintext, SymmetricKey key) {
        Objects.requireNonNull(plaintext, "plaintext is null");
        Objects.requireNonNull(key, "key is null");
        if (!key.hasMac()) {
            throw new CryptoException("refusing to encrypt with a legacy key that has no MAC key");
        }
        byte[] iv = randomBytes(16);
        byte[] encKey = key.encKey();
        byte[] macKey = key.macKey();
        try {
            Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encKey, "AES"), new IvParameterSpec(iv));
            byte[] ct = c.doFinal(plaintext);
            byte[] mac = mac(macKey, iv, ct);
            return EncString.aesCbcHmac(iv, ct, mac);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-CBC encryption failed", e);
        } finally {
            Arrays.fill(encKey, (byte) 0);
            Arrays.fill(macKey, (byte) 0);
        }
    }

    /** Encrypts the UTF-8 bytes of a string. */
    public static EncString encryptString(String plaintext, SymmetricKey key) {
        return encrypt(Objects.requireNonNull(plaintext, "plaintext is null").getBytes(StandardCharsets.UTF_8), key);
    }

    /**
     * Decrypts a symmetric EncString. Type 2 needs a key with a MAC key and is authenticated (constant-time
     * comparison) before decryption; type 0 is accepted only with a legacy key without a MAC key, so a type
     * 2 value stripped of its MAC cannot be slipped past a modern key (downgrade protection).
     *
     * @throws CryptoException when the MAC does not verify, the key kind does not match, or padding is bad
     */
    public static byte[] decrypt(EncString enc, SymmetricKey key) {
        Objects.requireNonNull(enc, "enc is null");
        Objects.requireNonNull(key, "key is null");
        byte[] encKey = key.encKey();
        try {
            if (enc.type() == EncString.AES_CBC_256_HMAC) {
                if (!key.hasMac()) {
                    throw new CryptoException("EncString type 2 needs a key with a MAC key");
                }
                byte[] macKey = key.macKey();
                byte[] expected = mac(macKey, enc.iv(), enc.data());
                Arrays.fill(macKey, (byte) 0);
                if (!MessageDigest.isEqual(expected, enc.mac())) {
                    throw new CryptoException("EncString MAC does not verify (wrong key or tampered data)");
                }
            } else if (enc.type() == EncString.AES_CBC_256) {
                if (key.hasMac()) {
                    throw new CryptoException("EncString type 0 (no MAC) refused for a key with a MAC key");
                }
            } else {
                throw new CryptoException("EncString type " + enc.type() + " is not symmetric");
            }
            Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encKey, "AES"), new IvParameterSpec(enc.iv()));
            return c.doFinal(enc.data());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-CBC decryption failed (wrong key or corrupt data)", e);
        } finally {
            Arrays.fill(encKey, (byte) 0);
        }
    }

    /** Decrypts a symmetric EncString to a UTF-8 string. */
    public static String decryptString(EncString enc, SymmetricKey key) {
        byte[] plain = decrypt(enc, key);
        try {
            return new String(plain, StandardCharsets.UTF_8);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** RSA-OAEP decryption of types 3/5 (SHA-256) and 4/6 (SHA-1). */
    public static byte[] rsaDecrypt(EncString enc, PrivateKey privateKey) {
        Objects.requireNonNull(enc, "enc is null");
        Objects.requireNonNull(privateKey, "privateKey is null");
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.DECRYPT_MODE, privateKey, oaep(enc.type()));
            return c.doFinal(enc.data());
        } catch (GeneralSecurityException e) {
            throw new CryptoException("RSA-OAEP decryption failed (wrong private key or corrupt data)", e);
        }
    }

    /** RSA-OAEP encryption to type 4 (SHA-1, what Bitwarden clients emit) or 3 (SHA-256). */
    public static EncString rsaEncrypt(byte[] plaintext, PublicKey publicKey, int type) {
        Objects.requireNonNull(plaintext, "plaintext is null");
        Objects.requireNonNull(publicKey, "publicKey is null");
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.ENCRYPT_MODE, publicKey, oaep(type));
            return EncString.rsa(type, c.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("RSA-OAEP encryption failed", e);
        }
    }

    private static OAEPParameterSpec oaep(int type) {
        return switch (type) {
            // Explicit specs: SunJCE's default MGF1 digest is SHA-1 whatever the OAEP digest is.
            case EncString.RSA_OAEP_SHA256, EncString.RSA_OAEP_SHA256_HMAC ->
                    new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
            case EncString.RSA_OAEP_SHA1, EncString.RSA_OAEP_SHA1_HMAC ->
                    new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
            default -> throw new CryptoException("EncString type " + type + " is not RSA");
        };
    }

    /** Parses a PKCS#8 DER RSA private key. */
    public static PrivateKey rsaPrivateKey(byte[] pkcs8) {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("private key is not a PKCS#8 RSA key", e);
        }
    }

    /** Parses an SPKI DER RSA public key. */
    public static PublicKey rsaPublicKey(byte[] spki) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new CryptoException("public key is not an SPKI RSA key", e);
        }
    }

    /** SHA-256 of the input. */
    public static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("SHA-256 unavailable", e);
        }
    }

    /** HMAC-SHA256. */
    public static byte[] hmacSha256(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("HMAC-SHA256 failed", e);
        }
    }

    private static byte[] mac(byte[] macKey, byte[] iv, byte[] ct) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
        mac.update(iv);
        mac.update(ct);
        return mac.doFinal();
    }

    private static byte[] utf8(char[] chars) {
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        if (bb.hasArray()) {
            Arrays.fill(bb.array(), (byte) 0);
        }
        return out;
    }
}
