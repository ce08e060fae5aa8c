package dev.animavault.plugin.storage.file;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The storage SPI's rules the file backend checks before a write, and its page cursors. Stateless. */
final class Rules {

    private Rules() {
    }

    static String encodeCursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeCursor(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "invalid page cursor");
        }
    }

    static void checkRevision(long stored, long expected) {
        if (stored != expected) {
            throw new VaultException(ErrorCode.REVISION_CONFLICT, "revision conflict: expected " + expected
                    + ", stored " + stored);
        }
    }

    static void checkCurrent(int current, int highest) {
        if (current > highest) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the current version " + current
                    + " is not stored (highest is " + highest + ")");
        }
    }

    static void checkVersionRef(SecretRef ref, SecretVersion v) {
        if (!ref.equals(v.ref())) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "the version belongs to another secret");
        }
    }

    static SecretMetadata storedMetadata(SecretMetadata current, SecretMetadata given) {
        return new SecretMetadata(current.ref(), given.type(), given.currentVersion(), given.metadata(),
                given.attributes(), current.createdAt(), given.updatedAt(), current.revision() + 1);
    }
}
