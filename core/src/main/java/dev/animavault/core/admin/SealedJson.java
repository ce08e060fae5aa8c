package dev.animavault.core.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.util.Arrays;

/**
 * The admin package's records (accounts, roles, sessions, login challenges) are JSON documents sealed by
 * the barrier with their namespace and key as associated data; the plaintext is wiped after use either way.
 */
final class SealedJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SealedJson() {
    }

    /** Seals {@code plain} (wiped afterwards) as the record {@code ns}/{@code key}. */
    static byte[] seal(Barrier barrier, String ns, String key, byte[] plain) {
        try {
            return barrier.sealRecord(ns, key, plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Opens the record {@code r} of {@code ns}; a document that does not parse is an integrity error. */
    static JsonNode open(Barrier barrier, String ns, StoredRecord r) {
        byte[] plain = barrier.openRecord(ns, r.key(), r.value());
        try {
            return JSON.readTree(plain);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "record " + ns + "/" + r.key() + " is malformed");
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }
}
