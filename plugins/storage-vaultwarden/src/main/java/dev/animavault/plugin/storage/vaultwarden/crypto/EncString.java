package dev.animavault.plugin.storage.vaultwarden.crypto;

import java.util.Base64;
import java.util.Objects;

/**
 * Bitwarden's encrypted-string wire format: {@code <type>.<b64>|<b64>|<b64>}. Symmetric types are
 * 0 ({@code iv|data}, AES-256-CBC without MAC, read only) and 2 ({@code iv|data|mac}, AES-256-CBC with
 * HMAC-SHA256, used for every write); asymmetric types are 3 and 4 (RSA-OAEP with SHA-256 and SHA-1) and
 * 5/6 (the same with a trailing, ignored MAC). Type 1 (AES-128) and type 7 (COSE) are refused.
 *
 * <p>Immutable; accessors return copies. The content is ciphertext, so {@link #toString()} returns the
 * wire form.
 */
public final class EncString {
    /** AES-256-CBC, no MAC (legacy). */
    public static final int AES_CBC_256 = 0;
    /** AES-256-CBC with HMAC-SHA256. */
    public static final int AES_CBC_256_HMAC = 2;
    /** RSA-2048 OAEP, SHA-256 and MGF1-SHA-256. */
    public static final int RSA_OAEP_SHA256 = 3;
    /** RSA-2048 OAEP, SHA-1 and MGF1-SHA-1. */
    public static final int RSA_OAEP_SHA1 = 4;
    /** As 3 with a trailing ignored MAC. */
    public static final int RSA_OAEP_SHA256_HMAC = 5;
    /** As 4 with a trailing ignored MAC. */
    public static final int RSA_OAEP_SHA1_HMAC = 6;

    private final int type;
    private final byte[] iv;
    private final byte[] data;
    private final byte[] mac;

    private EncString(int type, byte[] iv, byte[] data, byte[] mac) {
        this.type = type;
        this.iv = iv;
        this.data = data;
        this.mac = mac;
    }

    /** A type 2 EncString from its parts (copied). */
    public static EncString aesCbcHmac(byte[] iv, byte[] data, byte[] mac) {
        Objects.requireNonNull(iv, "iv is null");
        Objects.requireNonNull(data, "data is null");
        Objects.requireNonNull(mac, "mac is null");
        return new EncString(AES_CBC_256_HMAC, iv.clone(), data.clone(), mac.clone());
    }

    /** An RSA EncString (type 3 or 4) from the ciphertext (copied). */
    public static EncString rsa(int type, byte[] data) {
        Objects.requireNonNull(data, "data is null");
        if (type != RSA_OAEP_SHA256 && type != RSA_OAEP_SHA1) {
            throw new CryptoException("not an RSA EncString type: " + type);
        }
        return new EncString(type, null, data.clone(), null);
    }

    /**
     * Parses the wire form.
     *
     * @throws CryptoException when the text is not a supported EncString
     */
    public static EncString parse(String text) {
        Objects.requireNonNull(text, "text is null");
        int dot = text.indexOf('.');
        int type;
        String body;
        if (dot < 0) {
            // Header-less legacy form: two parts = type 0. Anything else is ambiguous.
            type = AES_CBC_256;
            body = text;
        } else {
            try {
                type = Integer.parseInt(text.substring(0, dot));
            } catch (NumberFormatException e) {
                throw new CryptoException("EncString has an invalid type header");
            }
            body = text.substring(dot + 1);
        }
        String[] parts = body.split("\\|", -1);
        try {
            return switch (type) {
                case AES_CBC_256 -> {
                    requireParts(type, parts, 2);
                    yield new EncString(type, iv(parts[0]), b64(parts[1]), null);
                }
                case AES_CBC_256_HMAC -> {
                    requireParts(type, parts, 3);
                    byte[] mac = b64(parts[2]);
                    if (mac.length != 32) {
                        throw new CryptoException("EncString type 2 MAC must be 32 bytes");
                    }
                    yield new EncString(type, iv(parts[0]), b64(parts[1]), mac);
                }
                case RSA_OAEP_SHA256, RSA_OAEP_SHA1 -> {
                    requireParts(type, parts, 1);
                    yield new EncString(type, null, b64(parts[0]), null);
                }
                case RSA_OAEP_SHA256_HMAC, RSA_OAEP_SHA1_HMAC -> {
                    requireParts(type, parts, 2);
                    yield new EncString(type, null, b64(parts[0]), null);
                }
                case 1 -> throw new CryptoException("EncString type 1 (AES-128) is not supported");
                case 7 -> throw new CryptoException(
                        "EncString type 7 (COSE, V2 accounts) is not supported: Vaultwarden does not produce it");
                default -> throw new CryptoException("unknown EncString type " + type);
            };
        } catch (IllegalArgumentException e) {
            throw new CryptoException("EncString type " + type + " has invalid base64");
        }
    }

    private static void requireParts(int type, String[] parts, int n) {
        if (parts.length != n) {
            throw new CryptoException("EncString type " + type + " needs " + n + " parts, got " + parts.length);
        }
    }

    private static byte[] iv(String b64) {
        byte[] iv = b64(b64);
        if (iv.length != 16) {
            throw new CryptoException("EncString IV must be 16 bytes");
        }
        return iv;
    }

    private static byte[] b64(String s) {
        return Base64.getDecoder().decode(s);
    }

    /** The type number. */
    public int type() {
        return type;
    }

    /** Whether this is an RSA type (3..6). */
    public boolean isAsymmetric() {
        return type >= RSA_OAEP_SHA256 && type <= RSA_OAEP_SHA1_HMAC;
    }

    /** The IV (copy); symmetric types only. */
    public byte[] iv() {
        return iv == null ? null : iv.clone();
    }

    /** The ciphertext (copy). */
    public byte[] data() {
        return data.clone();
    }

    /** The MAC (copy); type 2 only. */
    public byte[] mac() {
        return mac == null ? null : mac.clone();
    }

    /** The wire form. */
    @Override
    public String toString() {
        Base64.Encoder e = Base64.getEncoder();
        return switch (type) {
            case AES_CBC_256 -> type + "." + e.encodeToString(iv) + "|" + e.encodeToString(data);
            case AES_CBC_256_HMAC -> type + "." + e.encodeToString(iv) + "|" + e.encodeToString(data) + "|"
                    + e.encodeToString(mac);
            default -> type + "." + e.encodeToString(data);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncString other && other.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
