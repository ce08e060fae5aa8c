package dev.animavault.spi;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A plaintext secret value: bytes that never appear in {@code toString()}, logs or exceptions.
 * Instances copy on the way in and out; {@link #wipe()} zeroes the internal copy once the value is
 * no longer needed. Not thread-safe for concurrent wipe and read.
 */
public final class SecretValue {
    private final byte[] bytes;

    private SecretValue(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A value holding a copy of the given bytes. */
    public static SecretValue of(byte[] bytes) {
        return new SecretValue(Objects.requireNonNull(bytes, "bytes is null").clone());
    }

    /** A value holding the UTF-8 encoding of the string. */
    public static SecretValue ofUtf8(String value) {
        return new SecretValue(Objects.requireNonNull(value, "value is null").getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes decoded as UTF-8. */
    public String asUtf8() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The bytes decoded as strict UTF-8 into a char array the caller owns (and should zero when done), for
     * credential types that check characters without making a {@code String} of the value. The decoder's
     * own buffer is zeroed.
     *
     * @return empty when the bytes are not valid UTF-8
     */
    public Optional<char[]> utf8Chars() {
        if (ascii(bytes)) {
            // ASCII (most API keys and tokens) is valid UTF-8 of one char per byte: no decoder, no buffer to zero
            char[] out = new char[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                out[i] = (char) bytes[i];
            }
            return Optional.of(out);
        }
        try {
            CharBuffer decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            char[] out = new char[decoded.remaining()];
            decoded.get(out);
            if (decoded.hasArray()) {
                Arrays.fill(decoded.array(), '\0');
            }
            return Optional.of(out);
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The length in bytes. */
    public int length() {
        return bytes.length;
    }

    /** Zeroes the internal copy. */
    public void wipe() {
        Arrays.fill(bytes, (byte) 0);
    }

    /** Constant-time comparison of the contents. */
    public boolean contentEquals(SecretValue other) {
        return other != null && java.security.MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public String toString() {
        return "SecretValue[<masked>]";
    }
}
