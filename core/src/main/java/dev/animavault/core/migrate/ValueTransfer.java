package dev.animavault.core.migrate;

import static java.util.Objects.requireNonNull;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretVersion;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * How a secret's value moves from the source backend's stored form to the target's, by the two
 * backends' {@link Protection}:
 * <ul>
 *   <li>the same protection: the stored bytes as they are (barrier ciphertext between two
 *       {@code NONE} backends; between two {@code NATIVE} backends the plaintext each encrypts itself);</li>
 *   <li>{@code NONE -> NATIVE} (e.g. SQLite to Vaultwarden): opened with the source's barrier, handed to
 *       the target, which encrypts it with its own scheme;</li>
 *   <li>{@code NATIVE -> NONE}: sealed with the target's barrier (the keyring copied with the records).</li>
 * </ul>
 * Plaintext exists only in memory on its way between the two backends: arrays this class makes are
 * zeroed once used, and nothing is written to disk or printed. The barriers are opened lazily: the
 * target's only once the keyring has been copied into it.
 *
 * <p>Not thread-safe (one migration at a time).
 */
final class ValueTransfer {

    private final Protection from;
    private final Protection to;
    private final Supplier<Barrier> sourceBarrier;
    private final Supplier<Barrier> targetBarrier;
    private Barrier source;
    private Barrier target;

    ValueTransfer(Protection from, Protection to, Supplier<Barrier> sourceBarrier, Supplier<Barrier> targetBarrier) {
        this.from = requireNonNull(from, "from is null");
        this.to = requireNonNull(to, "to is null");
        this.sourceBarrier = requireNonNull(sourceBarrier, "sourceBarrier is null");
        this.targetBarrier = requireNonNull(targetBarrier, "targetBarrier is null");
    }

    /** True when values are copied byte for byte. */
    boolean asIs() {
        return from == to;
    }

    String describe() {
        return asIs() ? "values copied as stored (" + from + " -> " + to + ")"
                : from == Protection.NONE ? "values opened with the barrier and handed to the target, which encrypts them"
                : "values sealed with the barrier for the target";
    }

    /** The source version in the target's stored form (same number, time and author). */
    SecretVersion forTarget(SecretVersion v) {
        if (asIs()) {
            return v;
        }
        byte[] plain = plain(v, from, true);
        try {
            byte[] stored = to == Protection.NONE ? target().seal(v.ref(), v.version(), plain) : plain;
            return new SecretVersion(v.ref(), v.version(), stored, v.createdAt(), v.createdBy());
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Whether the target's version {@code t} holds what the source's {@code s} holds: number, time,
     * author, and the value (compared as stored when the protections are equal, else as plaintext, which
     * opens a {@code NONE} target's value with the target's barrier).
     */
    boolean same(SecretVersion s, SecretVersion t) {
        if (s.version() != t.version() || !s.ref().equals(t.ref()) || !s.createdAt().equals(t.createdAt())
                || !s.createdBy().equals(t.createdBy())) {
            return false;
        }
        if (asIs()) {
            return s.equals(t);
        }
        byte[] a = plain(s, from, true);
        byte[] b = plain(t, to, false);
        try {
            return MessageDigest.isEqual(a, b);
        } finally {
            Arrays.fill(a, (byte) 0);
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Opens a target version with the target's barrier when the target stores ciphertext (proves the
     * keyring made it across); a no-op for a {@code NATIVE} target, whose read already decrypted it.
     */
    void openInTarget(SecretVersion t) {
        if (to == Protection.NONE) {
            byte[] p = target().open(t.ref(), t.version(), t.value());
            Arrays.fill(p, (byte) 0);
        }
    }

    private byte[] plain(SecretVersion v, Protection p, boolean ofSource) {
        if (p == Protection.NATIVE) {
            return v.value();
        }
        return (ofSource ? source() : target()).open(v.ref(), v.version(), v.value());
    }

    private Barrier source() {
        if (source == null) {
            source = sourceBarrier.get();
        }
        return source;
    }

    private Barrier target() {
        if (target == null) {
            target = targetBarrier.get();
        }
        return target;
    }
}
