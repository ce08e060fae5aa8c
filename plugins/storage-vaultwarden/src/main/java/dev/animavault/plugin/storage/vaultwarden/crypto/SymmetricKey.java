package dev.animavault.plugin.storage.vaultwarden.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A Bitwarden symmetric key: a 32-byte AES-256 encryption key and, for everything but legacy keys, a
 * 32-byte HMAC-SHA256 key. The 64-byte wire form is {@code enc || mac}. Holds copies; {@link #wipe()}
 * zeroes them. {@link #toString()} never shows key bytes.
 */
public final class SymmetricKey {
    private final byte[] encKey;
    private final byte[] macKey;

    private SymmetricKey(byte[] encKey, byte[] macKey) {
        this.encKey = encKey;
        this.macKey = macKey;
    }

    /**
     * A key from its wire form: 64 bytes ({@code enc || mac}) or 32 bytes (legacy, no MAC key).
     *
     * @throws CryptoException for any other length (e.g. a COSE key of a V2 account)
     */
    public static SymmetricKey fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes is null");
        if (bytes.length == 64) {
            return new SymmetricKey(Arrays.copyOfRange(bytes, 0, 32), Arrays.copyOfRange(bytes, 32, 64));
        }
        if (bytes.length == 32) {
            return new SymmetricKey(bytes.clone(), null);
        }
        throw new CryptoException("unsupported symmetric key length " + bytes.length
                + " (expected 64, or 32 for legacy keys; COSE keys of V2 accounts are not supported)");
    }

    /** A key from separate encryption and MAC keys (32 bytes each). */
    public static SymmetricKey of(byte[] encKey, byte[] macKey) {
        Objects.requireNonNull(encKey, "encKey is null");
        Objects.requireNonNull(macKey, "macKey is null");
        if (encKey.length != 32 || macKey.length != 32) {
            throw new CryptoException("encryption and MAC keys must be 32 bytes each");
        }
        return new SymmetricKey(encKey.clone(), macKey.clone());
    }

    /** A fresh random 64-byte key. */
    public static SymmetricKey generate() {
        byte[] b = BitwardenCrypto.randomBytes(64);
        try {
            return fromBytes(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** A copy of the AES key. */
    public byte[] encKey() {
        return encKey.clone();
    }

    /** Whether this key has a MAC key (false only for legacy 32-byte keys). */
    public boolean hasMac() {
        return macKey != null;
    }

    /** A copy of the MAC key. */
    public byte[] macKey() {
        if (macKey == null) {
            throw new CryptoException("legacy key has no MAC key");
        }
        return macKey.clone();
    }

    /** The wire form (copy): {@code enc || mac}, or just {@code enc} for legacy keys. */
    public byte[] toBytes() {
        if (macKey == null) {
            return encKey.clone();
        }
        byte[] out = new byte[64];
        System.arraycopy(encKey, 0, out, 0, 32);
        System.arraycopy(macKey, 0, out, 32, 32);
        return out;
    }

    /** Zeroes the key bytes. The key is unusable afterwards. */
    public void wipe() {
        Arrays.fill(encKey, (byte) 0);
        if (macKey != null) {
            Arrays.fill(macKey, (byte) 0);
        }
    }

    /** Constant-time equality of the key bytes. */
    public boolean sameKeyAs(SymmetricKey other) {
        return other != null && MessageDigest.isEqual(toBytes(), other.toBytes());
    }

    @Override
    public String toString() {
        return "SymmetricKey[" + (macKey == null ? "legacy" : "aes256-cbc-hmac") + ", <masked>]";
    }
}
