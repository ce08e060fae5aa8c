package dev.animavault.core.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.StorageChange;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The identities secret creates were made for lately, as storage returned them (through the integrity layer, so
 * each with its row MAC checked when it was read), so that a create does not read its identity again: the
 * identity look-up was one storage read and one MAC per create (issue 19, docs/performance.md "Fifth pass:
 * writes").
 *
 * <p><b>Coherence.</b> An entry is dropped when this node changes the identity ({@link #forget}, called after the
 * change committed) and when the storage reports a change committed by any node ({@link #changed}: the identity
 * it names, everything on {@code ANY}); {@code ChangeNotifying} promises that such a listener keeps no stale copy
 * for longer than the backend's fallback bound plus the channel's latency, and a backend without notifications
 * has this process as its only writer. A read that raced a change is not kept: {@link #get} keeps what it read
 * only when no change was reported between the start of its read and its insertion (a generation count, as in
 * the token cache). So an identity disabled on this node refuses this node's next create at once, one disabled on
 * another node sharing PostgreSQL as soon as its notification arrives: the same bound as verified tokens. A
 * create that read its identity just before a disable committed could always succeed after it; the memo does
 * not widen that on this node.
 *
 * <p>Only what a create needs is read from an entry (the identity exists, its organization, whether it is
 * disabled); nothing here is secret. Missing identities are not kept (each such create reads storage and fails
 * with {@code IDENTITY_NOT_FOUND}). Bounded; thread-safe; {@link #changed} is quick and never calls storage.
 */
final class WriteIdentities {
    static final int MAX = 10_000;

    private record Key(String organizationId, String identityId) {
    }

    // maintenance on the calling thread: nothing handed to the common pool from a write
    private final Cache<Key, Identity> seen = Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();
    private final AtomicLong generation = new AtomicLong();

    /**
     * The identity, from memory or from {@code read} (which throws when there is none); what {@code read}
     * returns is kept unless a change was reported meanwhile.
     */
    Identity get(String organizationId, String identityId, Supplier<Identity> read) {
        Key k = new Key(organizationId, identityId);
        Identity known = seen.getIfPresent(k);
        if (known != null) {
            return known;
        }
        long before = generation.get();
        Identity read1 = read.get();
        if (generation.get() == before && read1.organizationId().equals(organizationId)
                && read1.id().equals(identityId)) {
            seen.put(k, read1);
            if (generation.get() != before) {
                // a change was reported between the check and the insertion: it may be this identity's
                seen.invalidate(k);
            }
        }
        return read1;
    }

    /** This node changed (or deleted) the identity; called after the change committed. */
    void forget(String organizationId, String identityId) {
        generation.incrementAndGet();
        seen.invalidate(new Key(organizationId, identityId));
    }

    /** A change committed by any node, from the backend's notifications ({@code ChangeNotifying}). */
    void changed(StorageChange change) {
        switch (change.kind()) {
            case IDENTITY -> forget(change.scope(), change.id());
            case ANY -> {
                generation.incrementAndGet();
                seen.invalidateAll();
            }
            default -> { }
        }
    }

    /** Entries held now (tests). */
    long size() {
        seen.cleanUp();
        return seen.estimatedSize();
    }
}
