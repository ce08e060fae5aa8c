package dev.animavault.plugin.storage.vaultwarden;

import dev.animavault.spi.storage.SecretRef;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The per-item write locks of the {@link VaultwardenStorageBackend}: Vaultwarden's own staleness check has
 * a one-second granularity, so writes to one identity, secret or record are serialised in this process.
 * Lock order: identity before secret. Thread-safe.
 */
final class ItemLocks {
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    <T> T withLock(String key, Supplier<T> op) {
        ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
        lock.lock();
        try {
            return op.get();
        } finally {
            lock.unlock();
        }
    }

    static String identity(String org, String identity) {
        return "identity:" + ItemIndex.externalId(org, identity);
    }

    static String secret(SecretRef ref) {
        return "secret:" + ItemIndex.externalId(ref.organizationId(), ref.identityId()) + "/" + ref.key();
    }

    static String record(String namespace, String key) {
        return "record:" + namespace + "/" + key;
    }
}
