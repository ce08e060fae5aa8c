package dev.animavault.plugin.audit.file;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The tamper-evidence chain of an audit file. Every line carries {@code "prev"}: the lower-case hex
 * SHA-256 of the previous line's bytes (without the {@code \n}); the first line carries {@link #GENESIS}.
 * Editing, deleting, inserting or reordering a line therefore breaks the chain at the line after the
 * change.
 *
 * <p>What the chain does not show: removal of the last lines (truncation) and a rewrite of the whole file
 * with freshly computed hashes. To detect those, copy the hash of the last line (see
 * {@link FileAuditSink#headHash()}) somewhere the writer of the file cannot change, and compare.
 */
public final class AuditHashChain {
    /** The {@code prev} of the first line: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private static final HexFormat HEX = HexFormat.of();

    private AuditHashChain() {
    }

    /**
     * Checks a whole audit file.
     *
     * @param file the audit file
     * @return the 1-based number of the first line that is not a well-formed event or whose {@code prev}
     *         does not match the line before it (the change is at that line or the one before), the number
     *         after the last complete line when the file ends in an incomplete line, or {@code -1} when the
     *         whole file verifies (an empty file verifies)
     * @throws IOException when the file cannot be read
     */
    public static long verify(Path file) throws IOException {
        requireNonNull(file, "file is null");
        AuditLineDecoder decoder = new AuditLineDecoder();
        MessageDigest sha256 = sha256();
        String[] expected = {GENESIS};
        long[] broken = {-1};
        AuditLineScanner.Result result;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            result = AuditLineScanner.scan(in, (lineNumber, offset, buf, start, length) -> {
                try {
                    AuditLineCodec.Decoded decoded = decoder.decode(buf, start, length);
                    if (!decoded.prev().equals(expected[0])) {
                        broken[0] = lineNumber;
                        return false;
                    }
                } catch (AuditLineCodec.MalformedLineException e) {
                    broken[0] = lineNumber;
                    return false;
                }
                expected[0] = hash(sha256, buf, start, length);
                return true;
            });
        }
        if (broken[0] > 0) {
            return broken[0];
        }
        return result.hasTornTail() ? result.lines() + 1 : -1;
    }

    /** Lower-case hex SHA-256 of the bytes. */
    static String hash(MessageDigest sha256, byte[] buf, int start, int length) {
        sha256.reset();
        sha256.update(buf, start, length);
        return HEX.formatHex(sha256.digest());
    }

    /** SHA-256 of the bytes, into {@code into[0..32)}: no allocation. */
    static void hash(MessageDigest sha256, byte[] buf, int start, int length, byte[] into) {
        sha256.reset();
        sha256.update(buf, start, length);
        try {
            sha256.digest(into, 0, AuditLineCodec.HASH_BYTES);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 digest failed", e);
        }
    }

    /** Lower-case hex of a hash. */
    static String hex(byte[] hash) {
        return HEX.formatHex(hash);
    }

    /** The hash whose lower-case hex is given (as in {@code prev}). */
    static byte[] unhex(String hex) {
        return HEX.parseHex(hex);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
