package dev.animavault.core.service;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serializes the writes of one process to one secret, so unconditional writes to the same secret take
 * turns instead of racing on its revision and failing with {@code revision_conflict} after their retries
 * (which a backend with slow round trips, such as Vaultwarden, made likely). A fixed array of locks is
 * indexed by the reference's hash: two secrets may share a lock, which costs only some parallelism, and
 * the memory is bounded whatever the number of secrets.
 *
 * <p>Only this process is covered: writers in other processes sharing the storage still race, and the
 * write path's bounded retries are what is left for them. {@link ReentrantLock}, not monitors, so a waiting
 * virtual thread does not pin its carrier during the storage I/O done under the lock. Thread-safe.
 */
final class SecretWriteLocks {
    private static final int STRIPES = 1024;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final Duration maxWait;

    /** @param maxWait how long a write waits for the writes before it (then {@code storage_unavailable}) */
    SecretWriteLocks(Duration maxWait) {
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        this.maxWait = maxWait;
    }

    /** Runs {@code write} holding the lock of {@code ref}. */
    <T> T withLock(SecretRef ref, Supplier<T> write) {
        ReentrantLock lock = locks[Math.floorMod(ref.hashCode() * 0x9E3779B9, STRIPES)];
        try {
            if (!lock.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "secret " + ref.key() + " of identity "
                        + ref.identityId() + " is still being written by earlier requests after " + maxWait.toSeconds()
                        + " s; try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "interrupted while waiting to write secret "
                    + ref.key());
        }
        try {
            return write.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A random pause of up to 10, 20, 40, 80, then 160 ms before retry {@code attempt + 1} of a write that
     * lost a race, so writers of other processes stop colliding in step.
     */
    static void backOff(int attempt) {
        long bound = 10L << Math.min(attempt, 4);
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, bound + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "interrupted while retrying a write");
        }
    }
}
