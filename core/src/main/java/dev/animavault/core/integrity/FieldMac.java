package dev.animavault.core.integrity;

import java.util.Base64;

/**
 * A MAC carried in a string field (secret metadata attribute or identity label {@code _mac}):
 * {@code v1.<keyId>.<basedOn>.<base64url mac>}. {@code basedOn} is the revision the write expected.
 */
record FieldMac(int keyId, long basedOn, byte[] mac) {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** The MAC's first 8 bytes, which the replay guard remembers. */
    long tag() {
        return Bytes.getLong(mac, 0);
    }

    static String format(int keyId, long basedOn, byte[] mac) {
        return "v1." + keyId + "." + basedOn + "." + B64.encodeToString(mac);
    }

    /** The parsed field, or null when absent or malformed. */
    static FieldMac parse(String s) {
        if (s == null || !s.startsWith("v1.")) {
            return null;
        }
        int a = s.indexOf('.', 3);
        int b = a < 0 ? -1 : s.indexOf('.', a + 1);
        if (b < 0) {
            return null;
        }
        try {
            byte[] mac = s.length() - b - 1 == UNPADDED ? decode(s, b + 1) : B64D.decode(s.substring(b + 1));
            if (mac == null || mac.length != IntegrityMacs.MAC_BYTES) {
                return null;
            }
            return new FieldMac(Integer.parseInt(s, 3, a, 10), Long.parseLong(s, a + 1, b, 10), mac);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The length of a MAC in unpadded base64url, as {@link #format} writes it. */
    private static final int UNPADDED = 43;
    /** The value of each base64url character, -1 for the others. */
    private static final byte[] VALUES = new byte[128];

    static {
        java.util.Arrays.fill(VALUES, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < alphabet.length(); i++) {
            VALUES[alphabet.charAt(i)] = (byte) i;
        }
    }

    /**
     * The 32 bytes of the {@link #UNPADDED} base64url characters of {@code s} from {@code from}, or null when one
     * is not in the alphabet: what {@code Base64.getUrlDecoder()} gives for them (the last character's two low
     * bits are dropped, as it does), without the substring and the byte copy it needs (issue 19: every listed
     * row's MAC is parsed).
     */
    private static byte[] decode(String s, int from) {
        byte[] out = new byte[IntegrityMacs.MAC_BYTES];
        int bits = 0;
        int n = 0;
        int o = 0;
        for (int i = from; i < from + UNPADDED; i++) {
            char c = s.charAt(i);
            int v = c < 128 ? VALUES[c] : -1;
            if (v < 0) {
                return null;
            }
            bits = bits << 6 | v;
            n += 6;
            if (n >= 8) {
                n -= 8;
                out[o++] = (byte) (bits >>> n);
            }
        }
        return out;
    }
}
