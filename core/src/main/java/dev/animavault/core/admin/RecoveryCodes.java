package dev.animavault.core.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One-time recovery codes: {@value #COUNT} per enrollment, each 80 random bits written as four groups of
 * four lower-case base32 characters ({@code abcd-efgh-ijkl-mnop}). They are stored as keyed hashes
 * (HMAC-SHA256 under the keyring's token key, like bearer tokens), not Argon2id: 80 random bits cannot be
 * guessed offline even with a fast hash, while the key keeps a storage dump from testing candidates at
 * all; and a slow hash would let a flood of recovery attempts cost ten Argon2id runs each. A used code's
 * hash is removed from the account. Stateless and thread-safe.
 */
public final class RecoveryCodes {
    /** Codes per enrollment. */
    public static final int COUNT = 10;
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    private static final SecureRandom RANDOM = new SecureRandom();

    private RecoveryCodes() {
    }

    /** {@value #COUNT} fresh codes, shown to the admin once. */
    public static List<String> generate() {
        List<String> out = new ArrayList<>(COUNT);
        for (int i = 0; i < COUNT; i++) {
            byte[] b = new byte[10];
            RANDOM.nextBytes(b);
            StringBuilder s = new StringBuilder(19);
            long bits = 0;
            int have = 0;
            int written = 0;
            for (byte x : b) {
                bits = (bits << 8) | (x & 0xff);
                have += 8;
                while (have >= 5) {
                    have -= 5;
                    if (written > 0 && written % 4 == 0) {
                        s.append('-');
                    }
                    s.append(ALPHABET.charAt((int) ((bits >>> have) & 31)));
                    written++;
                }
            }
            out.add(s.toString());
        }
        return out;
    }

    /** The canonical form of what a person typed: lower case, without spaces and dashes. */
    public static String normalize(String code) {
        return code == null ? "" : code.toLowerCase(Locale.ROOT).replace("-", "").replace(" ", "");
    }

    /** Whether a typed code looks like a recovery code at all (16 base32 characters). */
    public static boolean looksLike(String code) {
        String n = normalize(code);
        return n.length() == 16 && n.chars().allMatch(c -> ALPHABET.indexOf(c) >= 0);
    }

    /** The stored form of a code: base64 of its keyed hash. */
    public static String hash(String code, Function<byte[], byte[]> keyedHash) {
        byte[] mac = keyedHash.apply(("anima-vault/recovery/v1\n" + normalize(code)).getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(mac);
    }

    /** The index in {@code stored} of the code's hash, or -1; compares every entry in constant time. */
    public static int find(List<String> stored, String code, Function<byte[], byte[]> keyedHash) {
        byte[] h = hash(code, keyedHash).getBytes(StandardCharsets.US_ASCII);
        int found = -1;
        for (int i = 0; i < stored.size(); i++) {
            if (MessageDigest.isEqual(stored.get(i).getBytes(StandardCharsets.US_ASCII), h) && found < 0) {
                found = i;
            }
        }
        return found;
    }
}
