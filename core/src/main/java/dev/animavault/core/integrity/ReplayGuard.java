package dev.animavault.core.integrity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageChange;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's memory of what it saw in storage, to catch a whole row put back with its old, valid MAC (a
 * revoked token record, an older secret metadata) while the node runs. Per item it keeps the highest
 * revision seen and that row's MAC tag (the MAC's first 8 bytes); MACs of rows this node saw superseded or
 * deleted are "retired". A read is judged against what the guard knew <em>before the read went to
 * storage</em> ({@link #before}, {@link #retiredSoFar}): it is suspect when its MAC was retired by then or its
 * revision is below the one seen by then. What the guard learns while the read runs (a write of this node
 * acknowledged meanwhile, which retires the row the read may legitimately return) is a race, not a replay:
 * every row the guard knew of before the read began was committed before it, so storage must answer with
 * that row or a newer one unless an older row was put back. Judging against the state after the read
 * refused reads that raced two writes in a row (issue: PostgresOutageTest's integrity_error under load).
 * The caller still reads once more before it refuses.
 *
 * <p>Limits (docs/keys.md): memory only (bounded; lost on restart), per node; a change another node makes
 * only drops this node's entry (its notification cannot say which row it replaced). Thread-safe.
 *
 * <p>A secret is remembered in {@link SecretEntries} under keyed 64-bit SipHash digests of its reference and of its
 * identity, under a key drawn at random for this guard, instead of the {@link SecretRef} and its strings, in
 * primitive arrays: 40 bytes per slot instead of ~120 per secret written or read in a cache of objects (up to about
 * {@link #MAX} of them, all old generation that the collector marks; issue 19, docs/performance.md "Fifth pass:
 * writes", "Thirteenth pass: memory"). Nobody outside the process knows the
 * key, so nobody can choose secret names whose digests collide; two of up to 200,000 secrets share a digest by
 * chance with a probability near 10<sup>-9</sup> (the retired MAC tags are 64 bits already), and then one is
 * judged by the other's entry: a read refused as suspect, or a replay of one of the two not caught.
 */
final class ReplayGuard {
    private static final int MAX = 200_000;

    /** {@code foreign}: a change by any node was notified since; the revision no longer orders reads. */
    record Seen(long revision, long tag, boolean foreign) {
    }

    // maintenance on the calling thread: no task handed to the common pool from the read path
    /** Identities and records (not one per secret). */
    private final Cache<Object, Seen> seen = Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();
    /** Secrets, under the digest of their reference. */
    private final SecretEntries secrets = new SecretEntries(MAX);
    /** Retired MAC tags, each with the {@link #retirements} count that retired it. */
    private final Cache<Long, Long> retired = Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();
    private final AtomicLong retirements = new AtomicLong();
    private final SipHash sip;

    ReplayGuard() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        this.sip = new SipHash(random.nextLong(), random.nextLong());
    }

    /** The digest of a secret's reference (organization, identity, key). */
    private long digest(SecretRef r) {
        return sip.digest(r.organizationId(), r.identityId(), r.key());
    }

    /** What the guard knows of {@code item}, or null; taken before a read goes to storage. */
    Seen before(Object item) {
        return item instanceof SecretRef r ? secrets.get(digest(r)) : seen.getIfPresent(item);
    }

    /** How many MACs were retired so far; taken before a read goes to storage. */
    long retiredSoFar() {
        return retirements.get();
    }

    /**
     * Whether a read at {@code revision} with MAC tag {@code tag} looks like a replay, judged against what
     * was known before the read went to storage: {@code before} (from {@link #before}) and the MACs retired
     * up to {@code retiredUpTo} (from {@link #retiredSoFar}), both taken before the read.
     */
    boolean suspect(long revision, long tag, Seen before, long retiredUpTo) {
        Long at = retired.getIfPresent(tag);
        if (at != null && at <= retiredUpTo) {
            return true;
        }
        return before != null && !before.foreign
                && (revision < before.revision || (revision == before.revision && tag != before.tag));
    }

    /** Retires {@code tag}; a MAC retired again keeps its first count. */
    private void retire(long tag) {
        retired.get(tag, t -> retirements.incrementAndGet());
    }

    /**
     * A read judged not {@linkplain #suspect suspect} against {@code before}: remembers it like {@link #saw}, except
     * when {@code before} already holds this very row (same revision and tag, no foreign change): then there is
     * nothing to learn, and the common read of an unchanged secret takes no lock and computes no digest here. What
     * skipping can miss is a change of the entry while the read ran: a higher revision written meanwhile ({@link
     * #saw} keeps that one too), the entry removed (a delete or an eviction; the next read adds it again), or a
     * foreign change notified (the entry stays foreign until the next read, which records it: the guard judges one
     * more read leniently, as it does right after any notification).
     */
    void sawRead(Object item, long revision, long tag, Seen before) {
        if (before != null && !before.foreign && before.revision == revision && before.tag == tag) {
            return;
        }
        saw(item, revision, tag);
    }

    /** A verified read or a write of this node: remembers it, retiring the row it supersedes. */
    void saw(Object item, long revision, long tag) {
        Seen s;
        if (item instanceof SecretRef r) {
            s = secrets.see(digest(r), sip.digest(r.organizationId(), r.identityId()), revision, tag);
        } else {
            s = seen.getIfPresent(item);
            if (s != null && !s.foreign && s.revision >= revision) {
                return;
            }
            seen.put(item, new Seen(revision, tag, false));
        }
        // only a row with a higher revision proves the one seen superseded (a read racing a write can be older)
        if (s != null && s.tag != tag && revision > s.revision) {
            retire(s.tag);
        }
    }

    /**
     * A write of this node, acknowledged by storage: remembers it like {@link #saw} and un-retires its MAC,
     * which is the current row's now (a secret deleted and created again as it was, same metadata at
     * revision 1 based on 0, carries the very MAC retired by the delete).
     */
    void wrote(Object item, long revision, long tag) {
        retired.invalidate(tag);
        saw(item, revision, tag);
    }

    /** This node deleted {@code item}: its last row may never come back. */
    void deleted(Object item) {
        Seen s = item instanceof SecretRef r ? secrets.remove(digest(r)) : seen.asMap().remove(item);
        if (s != null) {
            retire(s.tag);
        }
    }

    /** An identity was deleted with its secrets: forget them (a secret re-created later starts at revision 1). */
    void identityDeleted(String org, String identity) {
        long digest = sip.digest(org, identity);
        secrets.removeIdentities(d -> d == digest);
    }

    /**
     * A node (maybe this one) committed a write: the notification does not say which row it replaced, so the
     * revision seen no longer orders reads (a row deleted and created again starts at revision 1); the MAC
     * seen is kept, to be retired when this node deletes the row.
     */
    void changed(StorageChange c) {
        switch (c.kind()) {
            case ANY -> {
                seen.asMap().replaceAll((k, s) -> new Seen(s.revision, s.tag, true));
                secrets.markAllForeign();
            }
            case SECRET -> secrets.markForeign(digest(new SecretRef(c.scope(), c.id(), c.key())));
            case IDENTITY -> {
                foreign(new IntegrityStorage.IdentityItem(c.scope(), c.id()));
                identityDeleted(c.scope(), c.id());
            }
            case RECORD -> foreign(new IntegrityStorage.RecordItem(c.scope(), c.id()));
            default -> { }
        }
    }

    private void foreign(Object item) {
        seen.asMap().computeIfPresent(item, (k, s) -> new Seen(s.revision, s.tag, true));
    }
}
