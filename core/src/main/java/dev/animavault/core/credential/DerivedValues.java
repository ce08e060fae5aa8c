package dev.animavault.core.credential;

import static dev.animavault.core.credential.CacheEntry.CLAIMED;
import static dev.animavault.core.credential.CacheEntry.READY;
import static dev.animavault.core.credential.CacheEntry.REAUTH;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.MaterializationContext.Derived;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The cache and single flight behind {@link dev.animavault.spi.credential.MaterializationContext#derive}:
 * values derived from a secret (OAuth access tokens) are kept in one record per secret in namespace
 * {@value #NAMESPACE}, sealed by the barrier, until their {@code refreshAt}.
 *
 * <p><b>Single flight.</b> In a process, the first read that needs a new value runs the derivation; the
 * others wait on its future. Across processes sharing the storage, the record doubles as a claim: a
 * process derives only after it has written a {@code CLAIMED} entry with a conditional write
 * ({@code putRecord} with the revision it read), so of several processes exactly one wins; the others poll
 * the record until it holds the result or the claim expires ({@link #claimTtl}, longer than the deriver's
 * HTTP timeout; a crashed holder delays the next refresh by at most that). Once the claim is held the
 * secret's current version is read again, so the deriver always starts from the newest stored value (a
 * refresh token rotated by another process is never reused). The storage lease primitive another change
 * adds can replace the claim later; this class does not depend on it.
 *
 * <p><b>Reauthorization.</b> A deriver that throws {@code REAUTHORIZATION_REQUIRED} leaves a
 * {@code REAUTH} entry for the version it used; reads fail the same way without calling out until a newer
 * version is stored (an organization key stores new credentials).
 *
 * <p>Entries name the secret's creation time as well as the version, so a secret deleted and created
 * again under the same key never sees the old one's cache; {@link CacheEntry} holds an entry and its sealed record
 * format. Thread-safe.
 */
public final class DerivedValues {
    /** The record namespace. */
    public static final String NAMESPACE = "credential-cache";

    private final StorageBackend storage;
    private final Barrier barrier;
    private final Clock clock;
    private final Duration claimTtl;
    private final Duration waitLimit;
    private final String nodeId;
    private final ConcurrentHashMap<String, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();

    /** What the read path lends: the current stored value, a conditional write, and audit. */
    public interface SecretAccess {
        /** The secret's current version and its plaintext, read afresh. */
        Current readCurrent();

        /** Called once when the deriver reported {@code REAUTHORIZATION_REQUIRED} for a version. */
        void reauthorizationRequired(int version);
    }

    /**
     * The current state of a secret.
     *
     * @param createdAt when the secret was created (tells a re-created secret apart)
     * @param version   its current version
     * @param value     that version's plaintext; the caller wipes it
     */
    public record Current(Instant createdAt, int version, SecretValue value) {
    }

    /**
     * What a deriver produced and which version it belongs to (a newer one when it stored a rotated value).
     *
     * @param derived the derived value
     * @param version the secret version the derived value goes with
     */
    public record Produced(Derived derived, int version) {
    }

    /**
     * @param claimTtl  how long a claim holds off other processes (longer than a derivation takes)
     * @param waitLimit how long a read waits for another reader's derivation before it answers 503
     */
    public DerivedValues(StorageBackend storage, Barrier barrier, Clock clock, Duration claimTtl, Duration waitLimit) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.barrier = Objects.requireNonNull(barrier, "barrier is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.claimTtl = Objects.requireNonNull(claimTtl, "claimTtl is null");
        this.waitLimit = Objects.requireNonNull(waitLimit, "waitLimit is null");
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.nodeId = HexFormat.of().formatHex(id);
    }

    /**
     * The cached value for a read of {@code versionRead} if fresh, else one derivation shared by all
     * concurrent readers of the secret (see the class documentation).
     *
     * @param deriver called with the current stored state once the claim is held
     * @return a copy the caller owns
     */
    public Derived derive(SecretRef ref, Instant secretCreatedAt, int versionRead, SecretAccess access,
                          Function<Current, Produced> deriver) {
        return derive(ref, secretCreatedAt, versionRead, access, deriver, Duration.ZERO, false);
    }

    /**
     * As {@link #derive(SecretRef, Instant, int, SecretAccess, Function)}, with a cached value counting as
     * fresh only while it stays fresh for {@code ahead} more (a proactive refresh passes its lead time; reads
     * pass zero), and marking what it derives as refreshed {@code proactive}ly (the secret has a rotation
     * policy, so {@link #due} lists it).
     */
    public Derived derive(SecretRef ref, Instant secretCreatedAt, int versionRead, SecretAccess access,
                          Function<Current, Produced> deriver, Duration ahead, boolean proactive) {
        String key = recordKey(ref);
        Instant createdAt = millis(secretCreatedAt); // entries keep milliseconds; storage may keep more
        Instant deadline = clock.instant().plus(waitLimit);
        Optional<Derived> cached = fresh(key, createdAt, versionRead, ahead);
        if (cached.isPresent()) {
            return cached.get();
        }
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> running = inflight.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return await(running, deadline, ref);
            } catch (VaultException failed) {
                // a failed proactive refresh puts the still valid value back: a read that waited for it gets that
                Optional<Derived> kept = ahead.isZero() ? fresh(key, createdAt, versionRead, ahead) : Optional.empty();
                if (kept.isPresent()) {
                    return kept.get();
                }
                throw failed;
            }
        }
        try {
            Derived d = lead(key, ref, createdAt, versionRead, access, deriver, deadline, ahead, proactive);
            byte[] encoded = encodeDerived(d);
            mine.complete(encoded);
            return d;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inflight.remove(key, mine);
        }
    }

    /**
     * When the cached derived value of a secret is due for a refresh, if one is cached. The seam for
     * proactive refresh: a scheduler (the rotation engine, for secrets with a rotation policy) reads this
     * and, shortly before, materializes the secret through the ordinary read path with a system actor;
     * single flight makes that safe to race with agents' reads, and agents then never wait for a refresh.
     */
    public Optional<Instant> refreshAt(SecretRef ref) {
        String key = recordKey(ref);
        return storage.getRecord(NAMESPACE, key).map(r -> open(key, r)).filter(e -> e.state() == READY)
                .map(CacheEntry::until);
    }

    /**
     * A cached value due for a proactive refresh.
     *
     * @param ref   the secret
     * @param ahead the lead time to pass to {@link #derive(SecretRef, Instant, int, SecretAccess, Function,
     *              Duration, boolean) derive} so the cached value no longer counts as fresh
     */
    public record Due(SecretRef ref, Duration ahead) {
    }

    /**
     * The cached values of secrets refreshed proactively (derived while the secret had a rotation policy)
     * that are within their lead time of {@code refreshAt}: {@code min(maxAhead, half the time from
     * derivation to refreshAt)}, so short-lived tokens are not refreshed back to back. Reads every entry
     * of the namespace (one per secret that has derived values), at most {@code limit} due ones returned.
     */
    public List<Due> due(Duration maxAhead, int limit) {
        List<Due> out = new ArrayList<>();
        Instant now = clock.instant();
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(NAMESPACE, cursor.isEmpty() ? PageRequest.first(500)
                    : PageRequest.after(500, cursor.get()));
            for (StoredRecord r : page.items()) {
                CacheEntry e;
                try {
                    e = open(r.key(), r);
                } catch (VaultException unreadable) {
                    continue;
                }
                Arrays.fill(e.value(), (byte) 0);
                if (e.state() != READY || !e.proactive() || e.ref() == null) {
                    continue;
                }
                Duration half = Duration.between(e.derivedAt(), e.until()).dividedBy(2);
                Duration ahead = half.compareTo(maxAhead) < 0 ? half : maxAhead;
                if (!now.isBefore(e.until().minus(ahead))) {
                    out.add(new Due(e.ref(), ahead.plusMillis(1)));
                    if (out.size() >= limit) {
                        return out;
                    }
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return out;
    }

    /** Forgets a secret's cache entry (the secret was deleted). Best effort. */
    public void forget(SecretRef ref) {
        String key = recordKey(ref);
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<StoredRecord> rec = storage.getRecord(NAMESPACE, key);
            if (rec.isEmpty()) {
                return;
            }
            try {
                storage.deleteRecord(NAMESPACE, key, rec.get().revision());
                return;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }

    private Optional<Derived> fresh(String key, Instant createdAt, int versionRead, Duration ahead) {
        Optional<StoredRecord> rec = storage.getRecord(NAMESPACE, key);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        CacheEntry e = open(key, rec.get());
        if (!e.createdAt().equals(createdAt) || e.version() < versionRead) {
            return Optional.empty();
        }
        if (e.state() == REAUTH) {
            throw reauth();
        }
        if (e.state() == READY && clock.instant().plus(ahead).isBefore(e.until())) {
            return Optional.of(new Derived(SecretValue.of(e.value()), e.until()));
        }
        return Optional.empty();
    }

    private Derived lead(String key, SecretRef ref, Instant createdAt, int versionRead, SecretAccess access,
                         Function<Current, Produced> deriver, Instant deadline, Duration ahead, boolean proactive) {
        while (true) {
            Optional<StoredRecord> rec = storage.getRecord(NAMESPACE, key);
            Instant now = clock.instant();
            CacheEntry e = rec.map(r -> open(key, r)).orElse(null);
            boolean same = e != null && e.createdAt().equals(createdAt) && e.version() >= versionRead;
            if (same && e.state() == READY && now.plus(ahead).isBefore(e.until())) {
                return new Derived(SecretValue.of(e.value()), e.until()); // another process refreshed meanwhile
            }
            if (same && e.state() == REAUTH) {
                throw reauth();
            }
            if (e != null && e.state() == CLAIMED && now.isBefore(e.until()) && e.createdAt().equals(createdAt)) {
                if (!now.isBefore(deadline)) {
                    throw busy(ref);
                }
                sleepBriefly(); // another process holds the claim: wait for its result
                continue;
            }
            StoredRecord claim;
            try {
                CacheEntry claimed = new CacheEntry(createdAt, e == null ? 0 : e.version(), CLAIMED,
                        now.plus(claimTtl), nodeId, new byte[0], ref, proactive, now);
                claim = storage.putRecord(NAMESPACE, key, seal(key, claimed), rec.map(StoredRecord::revision).orElse(0L));
            } catch (VaultException conflict) {
                if (isLostRace(conflict)) {
                    continue;
                }
                throw conflict;
            }
            // a still valid value is put back if this derivation fails (a proactive refresh that failed must
            // not take away the token reads would still get)
            CacheEntry previous = same && e.state() == READY && now.isBefore(e.until()) ? e : null;
            return derive(key, ref, claim, createdAt, access, deriver, previous, proactive);
        }
    }

    private Derived derive(String key, SecretRef ref, StoredRecord claim, Instant createdAt, SecretAccess access,
                           Function<Current, Produced> deriver, CacheEntry previous, boolean proactive) {
        Current current = access.readCurrent();
        Produced produced;
        try {
            if (!millis(current.createdAt()).equals(createdAt)) {
                throw new VaultException(ErrorCode.REVISION_CONFLICT, "the secret was replaced while it was read");
            }
            produced = deriver.apply(current);
        } catch (VaultException failure) {
            if (failure.errorCode() == ErrorCode.REAUTHORIZATION_REQUIRED) {
                writeQuietly(key, new CacheEntry(createdAt, current.version(), REAUTH, Instant.EPOCH, nodeId,
                        new byte[0], ref, false, clock.instant()), claim.revision());
                access.reauthorizationRequired(current.version());
            } else {
                release(key, claim, previous);
            }
            throw failure;
        } catch (RuntimeException failure) {
            release(key, claim, previous);
            throw failure;
        } finally {
            current.value().wipe();
        }
        Derived d = Objects.requireNonNull(produced, "deriver returned null").derived();
        byte[] value = d.value().bytes();
        try {
            writeQuietly(key, new CacheEntry(createdAt, produced.version(), READY, d.refreshAt(), nodeId, value, ref,
                    proactive, clock.instant()), claim.revision());
        } finally {
            Arrays.fill(value, (byte) 0);
        }
        return d;
    }

    /** A write under our claim; losing it (the claim expired and another process took over) is harmless. */
    private void writeQuietly(String key, CacheEntry entry, long claimRevision) {
        try {
            storage.putRecord(NAMESPACE, key, seal(key, entry), claimRevision);
        } catch (VaultException e) {
            if (!isLostRace(e)) {
                throw e;
            }
        }
    }

    private void release(String key, StoredRecord claim, CacheEntry previous) {
        try {
            if (previous != null && clock.instant().isBefore(previous.until())) {
                storage.putRecord(NAMESPACE, key, seal(key, previous), claim.revision());
                return;
            }
            storage.deleteRecord(NAMESPACE, key, claim.revision());
        } catch (VaultException e) {
            // someone else took over after our claim expired, or storage is down: the claim expires by itself
        }
    }

    private Derived await(CompletableFuture<byte[]> running, Instant deadline, SecretRef ref) {
        long waitMs = Math.max(1, Duration.between(clock.instant(), deadline).toMillis());
        try {
            return decodeDerived(running.get(waitMs, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof VaultException v) {
                // the leader's failure, rethrown for this reader (a new exception: stack of this thread)
                throw v.retryAfter().isPresent() ? new VaultException(v.errorCode(), v.getMessage(), v.retryAfter().get(), null)
                        : new VaultException(v.errorCode(), v.getMessage());
            }
            throw new VaultException(ErrorCode.INTERNAL, "deriving a value of secret " + ref.key() + " failed");
        } catch (TimeoutException e) {
            throw busy(ref);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw busy(ref);
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(25 + ThreadLocalRandom.current().nextInt(50));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException(ErrorCode.UNAVAILABLE, "interrupted");
        }
    }

    private static boolean isLostRace(VaultException e) {
        return e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.ALREADY_EXISTS
                || e.errorCode() == ErrorCode.NOT_FOUND;
    }

    private static VaultException reauth() {
        return new VaultException(ErrorCode.REAUTHORIZATION_REQUIRED, "the stored grant of this secret was refused by "
                + "its authorization server; an organization key must store new credentials (a new version)");
    }

    private static VaultException busy(SecretRef ref) {
        return new VaultException(ErrorCode.UPSTREAM_UNAVAILABLE, "secret " + ref.key() + " is being refreshed by "
                + "another request that has not finished", Duration.ofSeconds(2), null);
    }

    private static Instant millis(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    static String recordKey(SecretRef ref) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {ref.organizationId(), ref.identityId(), ref.key()}) {
                byte[] b = part.getBytes(StandardCharsets.UTF_8);
                sha.update(ByteBuffer.allocate(4).putInt(b.length).array());
                sha.update(b);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] seal(String key, CacheEntry e) {
        return e.seal(barrier, key);
    }

    private CacheEntry open(String key, StoredRecord rec) {
        return CacheEntry.open(barrier, key, rec);
    }

    private static byte[] encodeDerived(Derived d) {
        byte[] value = d.value().bytes();
        try {
            return ByteBuffer.allocate(8 + value.length).putLong(d.refreshAt().toEpochMilli()).put(value).array();
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    private static Derived decodeDerived(byte[] encoded) {
        ByteBuffer b = ByteBuffer.wrap(encoded);
        Instant refreshAt = Instant.ofEpochMilli(b.getLong());
        byte[] value = new byte[b.remaining()];
        b.get(value);
        try {
            return new Derived(SecretValue.of(value), refreshAt);
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "DerivedValues[node=" + nodeId + ", inflight=" + inflight.size() + "]";
    }
}
