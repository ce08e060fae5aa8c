package dev.animavault.core.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of human admin accounts ({@code vault.admin.*}): MFA policy, sessions, Argon2id cost, the
 * password-verification limit and the login throttle.
 *
 * @param mfaRequired        every admin must enroll TOTP and use it at each login (default); {@code false}
 *                           is an explicit choice logged at startup as a warning
 * @param sessionIdle        a session unused this long ends ({@code session-idle-timeout})
 * @param sessionMaxAge      a session ends this long after login, used or not ({@code session-max-age})
 * @param mfaFreshness       sensitive operations (admin changes, MFA reset, key rotation) need a session whose
 *                           MFA is younger than this ({@code sensitive-mfa-max-age})
 * @param challengeTtl       how long a login challenge (between password and code) lives
 * @param argon2MemoryKib    Argon2id memory in KiB (OWASP: 19456 = 19 MiB with 2 iterations, parallelism 1)
 * @param argon2Iterations   Argon2id iterations (time cost)
 * @param argon2Parallelism  Argon2id lanes
 * @param maxConcurrentHashes password verifications (Argon2id) run at once on this node; more wait
 * @param hashQueueWait      how long a login waits for a verification slot before 503 + Retry-After
 * @param hashCpuShare       the share of a core one verification slot may use under a flood (0 < x <= 1): after
 *                           a hash its slot rests (busy time x (1 - share) / share) before the next one
 * @param accountFailuresBeforeDelay failed passwords per account before each further one is delayed
 * @param addressFailuresBeforeDelay failed logins and codes per source address before each further one is delayed
 * @param maxLockout         the longest temporary lockout the growing delay reaches
 * @param mfaFailuresToLock  wrong codes in a row that lock an account ({@code mfa-lock-threshold}, 20)
 * @param mfaLockDuration    how long such a lock lasts
 * @param hashThreadsLowPriority whether the Argon2id threads lower themselves to nice 19 (Linux only;
 *                           {@code hash-threads-low-priority}, default false until measured on an idle machine)
 */
public record AdminConfig(boolean mfaRequired, Duration sessionIdle, Duration sessionMaxAge, Duration mfaFreshness,
                          Duration challengeTtl, int argon2MemoryKib, int argon2Iterations, int argon2Parallelism,
                          int maxConcurrentHashes, Duration hashQueueWait, double hashCpuShare,
                          int accountFailuresBeforeDelay,
                          int addressFailuresBeforeDelay, Duration maxLockout, int mfaFailuresToLock,
                          Duration mfaLockDuration, boolean hashThreadsLowPriority) {

    /** Without the low-priority choice (false): the form every caller used before it existed. */
    public AdminConfig(boolean mfaRequired, Duration sessionIdle, Duration sessionMaxAge, Duration mfaFreshness,
                       Duration challengeTtl, int argon2MemoryKib, int argon2Iterations, int argon2Parallelism,
                       int maxConcurrentHashes, Duration hashQueueWait, double hashCpuShare,
                       int accountFailuresBeforeDelay, int addressFailuresBeforeDelay, Duration maxLockout,
                       int mfaFailuresToLock, Duration mfaLockDuration) {
        this(mfaRequired, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, argon2MemoryKib, argon2Iterations,
                argon2Parallelism, maxConcurrentHashes, hashQueueWait, hashCpuShare, accountFailuresBeforeDelay,
                addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration, false);
    }

    /** OWASP's Argon2id parameters: m=19 MiB, t=2, p=1. */
    public static final AdminConfig DEFAULTS = new AdminConfig(true, Duration.ofMinutes(15), Duration.ofHours(8),
            Duration.ofMinutes(5), Duration.ofMinutes(5), 19 * 1024, 2, 1,
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), Duration.ofSeconds(2), 0.5, 5, 50,
            Duration.ofMinutes(15), 20, Duration.ofMinutes(15));

    public AdminConfig {
        Objects.requireNonNull(sessionIdle, "sessionIdle is null");
        Objects.requireNonNull(sessionMaxAge, "sessionMaxAge is null");
        Objects.requireNonNull(mfaFreshness, "mfaFreshness is null");
        Objects.requireNonNull(challengeTtl, "challengeTtl is null");
        Objects.requireNonNull(hashQueueWait, "hashQueueWait is null");
        Objects.requireNonNull(maxLockout, "maxLockout is null");
        Objects.requireNonNull(mfaLockDuration, "mfaLockDuration is null");
        positive(sessionIdle, "session-idle-timeout");
        positive(sessionMaxAge, "session-max-age");
        positive(mfaFreshness, "sensitive-mfa-max-age");
        positive(challengeTtl, "challenge-ttl");
        positive(maxLockout, "max-lockout");
        positive(mfaLockDuration, "mfa-lock-duration");
        if (sessionIdle.compareTo(sessionMaxAge) > 0) {
            throw VaultConfig.configError("vault.admin.session-idle-timeout cannot be longer than session-max-age");
        }
        if (argon2MemoryKib < 8 * argon2Parallelism || argon2MemoryKib > 4 * 1024 * 1024) {
            throw VaultConfig.configError("vault.admin.argon2.memory-kib must be between 8 x parallelism and 4194304");
        }
        if (argon2Iterations < 1 || argon2Iterations > 100) {
            throw VaultConfig.configError("vault.admin.argon2.iterations must be between 1 and 100");
        }
        if (argon2Parallelism < 1 || argon2Parallelism > 64) {
            throw VaultConfig.configError("vault.admin.argon2.parallelism must be between 1 and 64");
        }
        if (maxConcurrentHashes < 1 || maxConcurrentHashes > 1024) {
            throw VaultConfig.configError("vault.admin.max-concurrent-hashes must be between 1 and 1024");
        }
        if (hashQueueWait.isNegative() || hashQueueWait.toSeconds() > 60) {
            throw VaultConfig.configError("vault.admin.hash-queue-wait must be between 0 and 60s");
        }
        if (!(hashCpuShare > 0 && hashCpuShare <= 1)) {
            throw VaultConfig.configError("vault.admin.hash-cpu-share must be above 0 and at most 1");
        }
        if (accountFailuresBeforeDelay < 1 || addressFailuresBeforeDelay < 1 || mfaFailuresToLock < 1) {
            throw VaultConfig.configError("vault.admin failure thresholds must be at least 1");
        }
    }

    private static void positive(Duration d, String key) {
        if (d.isNegative() || d.isZero()) {
            throw VaultConfig.configError("vault.admin." + key + " must be positive");
        }
    }

    /** A copy with another MFA policy (tests, {@code vault.admin.mfa-required}). */
    public AdminConfig withMfaRequired(boolean v) {
        return new AdminConfig(v, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, argon2MemoryKib,
                argon2Iterations, argon2Parallelism, maxConcurrentHashes, hashQueueWait, hashCpuShare,
                accountFailuresBeforeDelay,
                addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration, hashThreadsLowPriority);
    }

    /** A copy with other Argon2id costs (tests use cheap ones). */
    public AdminConfig withArgon2(int memoryKib, int iterations, int parallelism) {
        return new AdminConfig(mfaRequired, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, memoryKib,
                iterations, parallelism, maxConcurrentHashes, hashQueueWait, hashCpuShare, accountFailuresBeforeDelay,
                addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration, hashThreadsLowPriority);
    }

    /** A copy with another CPU share per verification slot. */
    public AdminConfig withHashCpuShare(double share) {
        return new AdminConfig(mfaRequired, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, argon2MemoryKib,
                argon2Iterations, argon2Parallelism, maxConcurrentHashes, hashQueueWait, share,
                accountFailuresBeforeDelay, addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration,
                hashThreadsLowPriority);
    }

    /** A copy with another verification limit. */
    public AdminConfig withHashLimit(int maxConcurrent, Duration queueWait) {
        return new AdminConfig(mfaRequired, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, argon2MemoryKib,
                argon2Iterations, argon2Parallelism, maxConcurrent, queueWait, hashCpuShare, accountFailuresBeforeDelay,
                addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration, hashThreadsLowPriority);
    }

    /** A copy whose Argon2id threads do or do not run at nice 19 (Linux). */
    public AdminConfig withHashThreadsLowPriority(boolean v) {
        return new AdminConfig(mfaRequired, sessionIdle, sessionMaxAge, mfaFreshness, challengeTtl, argon2MemoryKib,
                argon2Iterations, argon2Parallelism, maxConcurrentHashes, hashQueueWait, hashCpuShare,
                accountFailuresBeforeDelay, addressFailuresBeforeDelay, maxLockout, mfaFailuresToLock, mfaLockDuration,
                v);
    }
}
