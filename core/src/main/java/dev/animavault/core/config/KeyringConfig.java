package dev.animavault.core.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The keyring's settings ({@code vault.keyring.*}): automatic data key rotation, encryption counting, the
 * re-encryption job and the token key grace period.
 *
 * @param maxKeyAge           a data key older than this is rotated automatically ({@code max-key-age}; 0 = never)
 * @param rotateAtEncryptions a data key is rotated automatically once this many encryptions were reserved
 *                            under it ({@code rotate-at-encryptions}, at most 2^31; default 10^8)
 * @param reserveBlock        encryptions a node reserves in storage at a time ({@code reserve-block}); a
 *                            crash wastes at most one block per node
 * @param refreshInterval     how often a node reads the keyring record to pick up another node's rotation
 *                            ({@code refresh-interval})
 * @param jobEnabled          whether this node takes part in re-encryption and automatic rotation
 *                            ({@code job.enabled}; the lease makes one node run the job at a time)
 * @param reencryptRate       versions (and records) re-encrypted per second at most ({@code job.rate})
 * @param reencryptBatch      secrets handled between two cursor saves ({@code job.batch})
 * @param tokenKeyGrace       how long tokens hashed under a rotated-out token key keep working unless used
 *                            (and so re-hashed) before then ({@code token-key-grace})
 * @param auditHashRemoteAddress whether audit events record client addresses as HMACs under the audit key
 *                            instead of in clear ({@code audit-hash-remote-address}, default false); token and
 *                            API key ids are always hashed
 */
public record KeyringConfig(Duration maxKeyAge, long rotateAtEncryptions, long reserveBlock, Duration refreshInterval,
                            boolean jobEnabled, int reencryptRate, int reencryptBatch, Duration tokenKeyGrace,
                            boolean auditHashRemoteAddress) {

    /** The defaults. */
    // reserve-block 10,000 (was 1,000): every reservation is a durable write that every sealing writer waits behind
    // (issue 19, docs/performance.md "Fifth pass: writes"); a crash wastes at most that many of the 2^31
    public static final KeyringConfig DEFAULTS = new KeyringConfig(Duration.ofDays(90), 100_000_000L, 10_000,
            Duration.ofSeconds(5), true, 500, 100, Duration.ofDays(30), false);

    /** As the canonical constructor, client addresses in clear. */
    public KeyringConfig(Duration maxKeyAge, long rotateAtEncryptions, long reserveBlock, Duration refreshInterval,
                         boolean jobEnabled, int reencryptRate, int reencryptBatch, Duration tokenKeyGrace) {
        this(maxKeyAge, rotateAtEncryptions, reserveBlock, refreshInterval, jobEnabled, reencryptRate, reencryptBatch,
                tokenKeyGrace, false);
    }

    public KeyringConfig {
        Objects.requireNonNull(maxKeyAge, "maxKeyAge is null");
        Objects.requireNonNull(refreshInterval, "refreshInterval is null");
        Objects.requireNonNull(tokenKeyGrace, "tokenKeyGrace is null");
        if (maxKeyAge.isNegative()) {
            throw VaultConfig.configError("vault.keyring.max-key-age must not be negative");
        }
        if (rotateAtEncryptions < 1 || rotateAtEncryptions > (1L << 31)) {
            throw VaultConfig.configError("vault.keyring.rotate-at-encryptions must be between 1 and 2147483648");
        }
        if (reserveBlock < 1 || reserveBlock > 1_000_000) {
            throw VaultConfig.configError("vault.keyring.reserve-block must be between 1 and 1000000");
        }
        if (refreshInterval.toMillis() < 10) {
            throw VaultConfig.configError("vault.keyring.refresh-interval must be at least 10ms");
        }
        if (reencryptRate < 1 || reencryptBatch < 1 || reencryptBatch > 10_000) {
            throw VaultConfig.configError("vault.keyring.job.rate must be at least 1 and job.batch between 1 and 10000");
        }
        if (tokenKeyGrace.isNegative()) {
            throw VaultConfig.configError("vault.keyring.token-key-grace must not be negative");
        }
    }
}
