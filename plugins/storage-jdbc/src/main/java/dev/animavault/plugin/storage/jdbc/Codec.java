package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/** Column encodings shared by both dialects: timestamps as epoch microseconds, cursors, blobs. */
final class Codec {
    private static final long MICROS_PER_SECOND = 1_000_000L;

    private Codec() {
    }

    /** Microseconds since the epoch (the stored precision; finer digits are dropped). */
    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), MICROS_PER_SECOND), t.getNano() / 1000);
    }

    static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND),
                Math.floorMod(micros, MICROS_PER_SECOND) * 1000L);
    }

    /** An instant cut to what the store keeps, so a returned object equals a later read. */
    static Instant stored(Instant t) {
        return instant(micros(t));
    }

    /** A blob column read; SQLite reports a zero-length blob as null. */
    static byte[] bytes(byte[] column) {
        return column == null ? new byte[0] : column;
    }

    /** The opaque cursor after the item with this key: base64url (no padding) of its UTF-8 bytes. */
    static String cursor(String lastKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The key a cursor points after, or empty for the first page. */
    static Optional<String> afterKey(Optional<String> cursor) {
        if (cursor.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] raw = Base64.getUrlDecoder().decode(cursor.get());
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString());
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the page cursor is not one this listing returned");
        }
    }
}
