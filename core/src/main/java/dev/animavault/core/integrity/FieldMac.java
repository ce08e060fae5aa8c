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
            byte[] mac = B64D.decode(s.substring(b + 1));
            if (mac.length != IntegrityMacs.MAC_BYTES) {
                return null;
            }
            return new FieldMac(Integer.parseInt(s, 3, a, 10), Long.parseLong(s, a + 1, b, 10), mac);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
