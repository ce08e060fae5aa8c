package dev.animavault.plugin.storage.file;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Maps organization ids, identity ids, secret keys, record namespaces and record keys to file names,
 * and back. Stateless.
 *
 * <p>The name is the UTF-8 bytes of the id, each byte kept as is when it is in {@code [a-z0-9_-]} or
 * a {@code .} that is neither the first nor the last character (Windows drops trailing dots), and
 * written {@code %XX} (upper-case hex) otherwise. So:
 * <ul>
 *   <li>no separator, {@code ..}, NUL or drive letter ever reaches the file system: names are plain
 *       ASCII of a fixed safe alphabet and never start with {@code .}, which keeps the store's own
 *       files ({@code .lock}, {@code .identity}, {@code .tmp-*}) apart from every id;</li>
 *   <li>the mapping is injective and stays injective on case-insensitive file systems: a letter is
 *       lower-case unless it is a hex digit right after {@code %}, so {@code Key} ({@code %4Bey}) and
 *       {@code key} differ in more than case; NFC and NFD forms of a name have different bytes, hence
 *       different (ASCII) names, and nothing is left for a file system to normalise;</li>
 *   <li>Windows' reserved device names ({@code CON}, {@code NUL}, ...) cannot occur: upper-case
 *       letters are always escaped, and lower-case {@code con} is escaped too (see
 *       {@link #RESERVED});</li>
 *   <li>a name longer than {@value #MAX_PLAIN} characters becomes {@code ~} plus the SHA-256 of the id
 *       (64 lower-case hex digits); such a file carries the real id inside (every file does), and
 *       {@link #decode} reports it as {@code null} so the caller reads it from the file.</li>
 * </ul>
 */
final class Names {

    /** Longest encoded name stored as is (file systems allow 255 bytes; temp names add a suffix). */
    static final int MAX_PLAIN = 240;
    /** Windows device names, refused as file names whatever their case or extension. */
    private static final java.util.Set<String> RESERVED = java.util.Set.of("con", "prn", "aux", "nul",
            "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
            "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Names() {
    }

    /** The file name of an id; never empty, never starting with {@code .}. */
    static String encode(String id) {
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 8);
        if (bytes.length == 0) {
            return "%"; // the empty id: a lone % never comes out of an escape
        }
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '_' || b == '-'
                    || (b == '.' && i > 0 && i < bytes.length - 1);
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
            }
        }
        String stem = sb.toString();
        int dot = stem.indexOf('.');
        if (RESERVED.contains(dot < 0 ? stem : stem.substring(0, dot))) {
            // escape the first letter: "con" -> "%63on"
            sb.replace(0, 1, "%" + HEX[stem.charAt(0) >> 4] + HEX[stem.charAt(0) & 0xf]);
        }
        if (sb.length() > MAX_PLAIN) {
            return "~" + sha256(bytes);
        }
        return sb.toString();
    }

    /**
     * The id of a file name made by {@link #encode}; {@code null} for a hashed name (read the id from the
     * file) or a name this class never makes (a temp file, a stranger's file: callers skip those).
     */
    static String decode(String name) {
        if (name.equals("%")) {
            return "";
        }
        if (name.isEmpty() || name.charAt(0) == '.' || name.charAt(0) == '~') {
            return null;
        }
        byte[] out = new byte[name.length()];
        int n = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    return null;
                }
                int hi = Character.digit(name.charAt(i + 1), 16);
                int lo = Character.digit(name.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.') {
                out[n++] = (byte) c;
            } else {
                return null;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    /** Whether {@code name} is a hashed name of {@link #encode}. */
    static boolean isHashed(String name) {
        return name.length() == 65 && name.charAt(0) == '~';
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
