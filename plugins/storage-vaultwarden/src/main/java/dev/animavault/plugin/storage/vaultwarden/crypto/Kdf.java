package dev.animavault.plugin.storage.vaultwarden.crypto;

/**
 * An account's key derivation settings as the server reports them (prelogin or token response).
 * The constructor refuses parameters below the minimums Bitwarden clients accept, so a malicious or
 * misconfigured server cannot downgrade the master key derivation.
 *
 * @param type        {@link #PBKDF2_SHA256} or {@link #ARGON2ID}
 * @param iterations  PBKDF2 iterations, or Argon2 passes
 * @param memoryMiB   Argon2 memory in MiB (ignored for PBKDF2)
 * @param parallelism Argon2 lanes (ignored for PBKDF2)
 */
public record Kdf(int type, int iterations, int memoryMiB, int parallelism) {
    /** KDF type 0. */
    public static final int PBKDF2_SHA256 = 0;
    /** KDF type 1. */
    public static final int ARGON2ID = 1;

    public Kdf {
        switch (type) {
            case PBKDF2_SHA256 -> {
                if (iterations < 5000) {
                    throw new CryptoException("PBKDF2 iterations " + iterations
                            + " below the minimum of 5000 (refusing a KDF downgrade)");
                }
            }
            case ARGON2ID -> {
                if (iterations < 2 || memoryMiB < 16 || parallelism < 1) {
                    throw new CryptoException("Argon2id parameters t=" + iterations + ", m=" + memoryMiB
                            + " MiB, p=" + parallelism + " below the minimums t>=2, m>=16, p>=1 (refusing a KDF downgrade)");
                }
                if (memoryMiB > 1024 || parallelism > 16) {
                    throw new CryptoException("Argon2id parameters m=" + memoryMiB + " MiB, p=" + parallelism
                            + " above the maximums m<=1024, p<=16");
                }
            }
            default -> throw new CryptoException("unknown KDF type " + type);
        }
    }

    /** PBKDF2-SHA256 with the given iterations. */
    public static Kdf pbkdf2(int iterations) {
        return new Kdf(PBKDF2_SHA256, iterations, 0, 0);
    }

    /** Argon2id with the given passes, memory (MiB) and lanes. */
    public static Kdf argon2id(int iterations, int memoryMiB, int parallelism) {
        return new Kdf(ARGON2ID, iterations, memoryMiB, parallelism);
    }
}
