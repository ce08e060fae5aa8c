package dev.animavault.core.barrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Durable counts of encryptions per data key. A node reserves a block of encryptions with one conditional
 * write of record {@code sys/keyring-usage} before it uses any of them, so the stored count is always at
 * least the number of encryptions made (a crash wastes at most the rest of a block; nodes never undercount
 * each other). The sealing path pays one atomic decrement per value.
 *
 * <p>When a reservation takes a key's count to {@code rotateAt} or beyond, {@code onLimit} is told (once
 * per reservation, on the sealing thread; it must only schedule work). Past {@link #HARD_LIMIT} no block
 * is reserved and sealing fails with {@code UNAVAILABLE} until the keyring is rotated. Thread-safe.
 */
final class KeyUsage {
    /** Record key in namespace {@code sys}. */
    static final String RECORD = "keyring-usage";
    /**
     * Encryptions per key after which sealing refuses: 2^31, half of NIST SP 800-38D's 2^32 bound for
     * random 96-bit nonces.
     */
    static final long HARD_LIMIT = 1L << 31;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Block(int keyId, AtomicLong remaining) {
    }

    private final StorageBackend storage;
    private volatile Block block = new Block(0, new AtomicLong());
    private volatile long blockSize = 1000;
    private volatile long rotateAt = 100_000_000L;
    private volatile IntConsumer onLimit = id -> { };

    KeyUsage(StorageBackend storage) {
        this.storage = storage;
    }

    void configure(long blockSize, long rotateAt, IntConsumer onLimit) {
        if (blockSize < 1 || rotateAt < 1 || rotateAt > HARD_LIMIT) {
            throw new IllegalArgumentException("block size and rotation threshold must be in 1.." + HARD_LIMIT);
        }
        this.blockSize = blockSize;
        this.rotateAt = rotateAt;
        this.onLimit = onLimit;
    }

    long rotateAt() {
        return rotateAt;
    }

    /** Counts one encryption under {@code keyId}, reserving a new block first when needed. */
    void count(int keyId) {
        while (true) {
            Block b = block;
            if (b.keyId() == keyId && b.remaining().getAndDecrement() > 0) {
                return;
            }
            synchronized (this) {
                b = block;
                if (b.keyId() != keyId || b.remaining().get() <= 0) {
                    block = reserve(keyId);
                }
            }
        }
    }

    private Block reserve(int keyId) {
        long size = blockSize;
        for (int attempt = 0; attempt < 20; attempt++) {
            Optional<StoredRecord> r = storage.getRecord(Barrier.NAMESPACE, RECORD);
            ObjectNode root = r.map(x -> parse(x.value())).orElseGet(JSON::createObjectNode);
            ObjectNode keys = root.has("keys") ? (ObjectNode) root.get("keys") : root.putObject("keys");
            long used = keys.path(Integer.toString(keyId)).asLong(0);
            if (used + size > HARD_LIMIT) {
                onLimit.accept(keyId);
                throw new VaultException(ErrorCode.UNAVAILABLE, "data key " + keyId + " reached its limit of "
                        + HARD_LIMIT + " encryptions: rotate the keyring (POST /v1/sys/keyring/rotate)");
            }
            keys.put(Integer.toString(keyId), used + size);
            try {
                storage.putRecord(Barrier.NAMESPACE, RECORD, JSON.writeValueAsBytes(root),
                        r.map(StoredRecord::revision).orElse(0L));
            } catch (VaultException e) {
                if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.ALREADY_EXISTS
                        || e.errorCode() == ErrorCode.NOT_FOUND) {
                    continue; // another node reserved at the same moment
                }
                throw e;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            if (used + size >= rotateAt) {
                onLimit.accept(keyId);
            }
            return new Block(keyId, new AtomicLong(size));
        }
        throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "could not reserve encryptions for data key " + keyId
                + " (too much contention on the usage record)");
    }

    /** Stored counts (reserved encryptions) per key id. */
    Map<Integer, Long> counts() {
        Map<Integer, Long> out = new TreeMap<>();
        storage.getRecord(Barrier.NAMESPACE, RECORD).ifPresent(r -> parse(r.value()).path("keys").properties()
                .forEach(e -> out.put(Integer.parseInt(e.getKey()), e.getValue().asLong())));
        return out;
    }

    private static ObjectNode parse(byte[] value) {
        try {
            JsonNode n = JSON.readTree(value);
            if (n instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            // fall through
        }
        throw new VaultException(ErrorCode.INTEGRITY_ERROR, "record sys/" + RECORD + " is malformed");
    }
}
