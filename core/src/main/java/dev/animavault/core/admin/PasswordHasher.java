package dev.animavault.core.admin;

import dev.animavault.core.config.AdminConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string format
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}, unpadded base64), through BouncyCastle.
 *
 * <p>Every hash computation (creating or verifying) holds one of {@code max-concurrent-hashes} permits,
 * and keeps it for a rest after the hash so that each permit uses at most {@code hash-cpu-share} of a
 * core: a login flood then costs at most permits x share cores of Argon2id and permits x memory, and the
 * secret read path keeps the rest. Argon2id's memory blocks come from a pool, so hashing makes no garbage. A caller that waits longer than {@code queueWait} for a permit gets
 * {@code UNAVAILABLE} with {@code Retry-After} (HTTP 503) instead of queueing without bound. Hashing runs
 * on a small pool of platform threads (one per permit; at nice 19 on Linux with {@code hash-threads-low-priority}) while the
 * caller's virtual thread waits. Thread-safe.
 */
public final class PasswordHasher implements AutoCloseable {
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    /** The longest password accepted (bytes of UTF-8): Argon2id hashes any length, this bounds the work. */
    public static final int MAX_PASSWORD_BYTES = 1024;
    /** The shortest password an account may be given. */
    public static final int MIN_PASSWORD_LENGTH = 12;

    private final int memoryKib;
    private final int iterations;
    private final int parallelism;
    private final Semaphore permits;
    private final int maxPermits;
    private final Duration queueWait;
    /** Logins waiting for a permit now. */
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * A moving average of one permit's cycle (hash time plus its rest), in nanoseconds: how many waiters a
     * permit can serve within {@code queueWait} follows from it. 0 until the first hash (the decoy is made
     * lazily, at the first unknown username), which seeds it.
     */
    private volatile long cycleNanos;
    private final SecureRandom random = new SecureRandom();
    /**
     * Argon2id's 1 KiB blocks, reused across hashes (up to permits x memory): without it every hash leaves
     * 19 MiB of garbage, and a login flood turns into young-GC pauses that stop the secret reads too. Made
     * at the first hash, not at startup (issue 19): it is the first use of Bouncy Castle, whose signed jar
     * costs a signature check of its manifest (~0.1-0.2 s of CPU) and whose classes the JDK's AOT cache
     * cannot hold (signed jars are excluded), on every start of a node that may never see an admin login.
     */
    private volatile Argon2BytesGenerator.BlockPool blocks;
    private final int blockPoolKib;
    /**
     * Platform threads that run the hashes. Not the request's virtual thread: a 50-100 ms Argon2id run
     * never yields, so on a virtual thread it holds one of the few carrier threads (one per core) and every
     * secret read queues behind it; on a platform thread the OS time-slices it with the carriers. On Linux
     * these threads can run at nice 19 ({@code hash-threads-low-priority}, {@link LowPriority}), so the kernel
     * gives the carriers the CPU first.
     */
    private final java.util.concurrent.ExecutorService workers;
    /** How long a permit stays taken after a hash, per nanosecond of hashing (0 = released at once). */
    private final double restPerBusy;
    /**
     * A hash of a random password, verified against for unknown usernames so they cost the same time. Made
     * at the first verification that needs it, not at startup: one Argon2id derivation (19 MiB, run mostly
     * interpreted that early) was a sizeable part of the start's CPU time, and its memory blocks stayed in
     * the pool (heap) of every node, including those that never see an admin login.
     */
    private volatile String decoy;
    private final java.util.concurrent.locks.ReentrantLock decoyLock = new java.util.concurrent.locks.ReentrantLock();

    public PasswordHasher(AdminConfig config) {
        this.memoryKib = config.argon2MemoryKib();
        this.iterations = config.argon2Iterations();
        this.parallelism = config.argon2Parallelism();
        this.maxPermits = config.maxConcurrentHashes();
        this.permits = new Semaphore(maxPermits, true);
        this.queueWait = config.hashQueueWait();
        this.blockPoolKib = (int) Math.min(Integer.MAX_VALUE,
                (long) config.maxConcurrentHashes() * config.argon2MemoryKib());
        this.restPerBusy = (1 - config.hashCpuShare()) / config.hashCpuShare();
        this.workers = java.util.concurrent.Executors.newFixedThreadPool(config.maxConcurrentHashes(),
                config.hashThreadsLowPriority() ? LowPriority.factory("argon2-")
                        : Thread.ofPlatform().daemon().name("argon2-", 1).factory());
    }

    /**
     * Whether a verification asked now would be refused at once because the waiting room is full (see
     * {@link #waitingRoom()}). Two reads of counters: the login route asks it before reading the request's
     * body, so a flood past the limit costs no parsing, no account lookup and no waiting thread.
     */
    public boolean saturated() {
        return permits.availablePermits() == 0 && waiting.get() >= waitingRoom();
    }

    /** How long a login refused for a full waiting room is held before its 503: {@code hash-queue-wait}. */
    public Duration refusalDelay() {
        return queueWait;
    }

    /**
     * How many logins may wait for a permit: as many as the permits can serve within {@code queueWait}
     * at the measured cycle time (at least one per permit, at most 1024). A login that would wait longer
     * than that would be refused after waiting anyway; it is refused at once instead.
     */
    int waitingRoom() {
        long cycle = cycleNanos;
        if (cycle <= 0) {
            return maxPermits; // no hash measured yet (the decoy is made lazily): the smallest room
        }
        long room = maxPermits * queueWait.toNanos() / cycle;
        return (int) Math.max(maxPermits, Math.min(1024, room));
    }

    private String decoy() {
        String d = decoy;
        if (d != null) {
            return d;
        }
        decoyLock.lock();
        try {
            if (decoy == null) {
                byte[] salt = new byte[SALT_BYTES];
                random.nextBytes(salt);
                decoy = encode(memoryKib, iterations, parallelism, salt, limited(() -> derive(memoryKib, iterations,
                        parallelism, salt, salt)));
            }
            return decoy;
        } finally {
            decoyLock.unlock();
        }
    }

    /** Hashes a new password (checked for length first). */
    public String hash(char[] password) {
        byte[] pw = utf8(password);
        try {
            byte[] salt = new byte[SALT_BYTES];
            random.nextBytes(salt);
            return encode(memoryKib, iterations, parallelism, salt, limited(() -> derive(memoryKib, iterations,
                    parallelism, salt, pw)));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /**
     * Whether {@code password} matches {@code encoded}; with {@code encoded == null} (unknown user) a decoy
     * hash is verified and the answer is false, so both cost the same.
     *
     * @throws VaultException {@code UNAVAILABLE} (503, Retry-After) when no verification slot frees up in time
     */
    public boolean verify(String encoded, char[] password) {
        byte[] pw = utf8(password);
        try {
            Parsed p = parse(encoded == null ? decoy() : encoded);
            byte[] actual = limited(() -> derive(p.memory, p.iterations, p.parallelism, p.salt, pw));
            return encoded != null && MessageDigest.isEqual(actual, p.hash);
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** Whether a stored hash was made with weaker parameters than configured now (rehash at next login). */
    public boolean needsRehash(String encoded) {
        Parsed p = parse(encoded);
        return p.memory < memoryKib || p.iterations < iterations || p.parallelism != parallelism;
    }

    /** Logins waiting for a permit now (tests, metrics). */
    int waiting() {
        return waiting.get();
    }

    /** Sets the cycle estimate (tests: a waiting room of a known size). */
    void assumeCycle(Duration cycle) {
        cycleNanos = Math.max(1, cycle.toNanos());
    }

    /** Permits free now (tests, metrics). */
    int availablePermits() {
        return permits.availablePermits();
    }

    /** Runs one hash computation under the concurrency limit (package-private for the limit's test). */
    byte[] limited(java.util.function.Supplier<byte[]> work) {
        boolean acquired;
        if (waiting.incrementAndGet() > waitingRoom() && permits.availablePermits() == 0) {
            waiting.decrementAndGet();
            throw busy();
        }
        try {
            acquired = permits.tryAcquire(queueWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.UNAVAILABLE, "interrupted while waiting for a password check");
        } finally {
            waiting.decrementAndGet();
        }
        if (!acquired) {
            throw busy();
        }
        long[] busy = new long[1];
        try {
            return workers.submit(() -> {
                long start = System.nanoTime();
                try {
                    return work.get();
                } finally {
                    busy[0] = System.nanoTime() - start;
                }
            }).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.UNAVAILABLE, "interrupted while checking a password");
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new VaultException(ErrorCode.UNAVAILABLE, "the vault is shutting down");
        } finally {
            release(busy[0]);
        }
    }

    /** The refusal of a login that finds no verification slot: 503 with {@code Retry-After}. */
    public static VaultException busy() {
        return new VaultException(ErrorCode.UNAVAILABLE, "too many logins are being checked at once; retry shortly",
                Duration.ofSeconds(1), null);
    }

    /** Stops the hashing threads (node shutdown). Idempotent. */
    @Override
    public void close() {
        workers.shutdownNow();
    }

    /**
     * Gives the permit back, after a rest proportional to the hashing time when {@code hash-cpu-share} is
     * below 1: under a flood each permit then keeps at most that share of a core busy. The caller does not
     * wait for the rest (a virtual thread releases the permit), so one login costs no extra latency.
     */
    private void release(long busyNanos) {
        long rest = (long) (busyNanos * restPerBusy);
        if (busyNanos > 0) {
            long cycle = busyNanos + rest;
            long current = cycleNanos;
            cycleNanos = current <= 0 ? cycle : current - current / 8 + cycle / 8; // racy by design: an estimate
        }
        if (rest <= 0) {
            permits.release();
            return;
        }
        Thread.ofVirtual().name("argon2-rest").start(() -> {
            try {
                java.util.concurrent.locks.LockSupport.parkNanos(rest);
            } finally {
                permits.release();
            }
        });
    }

    private Argon2BytesGenerator.BlockPool blocks() {
        Argon2BytesGenerator.BlockPool pool = blocks;
        if (pool == null) {
            synchronized (this) {
                pool = blocks;
                if (pool == null) {
                    pool = Pools.fixed(blockPoolKib);
                    blocks = pool;
                }
            }
        }
        return pool;
    }

    /**
     * Keeps {@code FixedBlockPool} out of this class's own bytecode: verifying an assignment of it to the
     * field would make the JVM load Bouncy Castle when this class is linked, at startup.
     */
    private static final class Pools {
        static Argon2BytesGenerator.BlockPool fixed(int kib) {
            return new Argon2BytesGenerator.FixedBlockPool(kib);
        }
    }

    private byte[] derive(int memory, int iterations, int parallelism, byte[] salt, byte[] password) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memory)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .withBlockPool(blocks())
                .build();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] out = new byte[HASH_BYTES];
        gen.generateBytes(password, out);
        return out;
    }

    private static String encode(int m, int t, int p, byte[] salt, byte[] hash) {
        return "$argon2id$v=19$m=" + m + ",t=" + t + ",p=" + p + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(hash);
    }

    private record Parsed(int memory, int iterations, int parallelism, byte[] salt, byte[] hash) {
    }

    private static Parsed parse(String encoded) {
        try {
            String[] parts = encoded.split("\\$");
            // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
            if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
                throw new IllegalArgumentException("not an argon2id v19 hash");
            }
            int m = 0;
            int t = 0;
            int p = 0;
            for (String kv : parts[3].split(",")) {
                int v = Integer.parseInt(kv.substring(2));
                switch (kv.substring(0, 2)) {
                    case "m=" -> m = v;
                    case "t=" -> t = v;
                    case "p=" -> p = v;
                    default -> throw new IllegalArgumentException("unknown parameter");
                }
            }
            return new Parsed(m, t, p, B64D.decode(parts[4]), B64D.decode(parts[5]));
        } catch (RuntimeException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "a stored password hash is malformed");
        }
    }

    private static byte[] utf8(char[] password) {
        java.nio.ByteBuffer b = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password));
        byte[] out = new byte[b.remaining()];
        b.get(out);
        if (b.hasArray()) {
            Arrays.fill(b.array(), (byte) 0);
        }
        if (out.length > MAX_PASSWORD_BYTES) {
            Arrays.fill(out, (byte) 0);
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "password is longer than " + MAX_PASSWORD_BYTES
                    + " bytes");
        }
        return out;
    }
}
