package dev.animavault.core.integrity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageChange;

/**
 * This node's memory of what it saw in storage, to catch a whole row put back with its old, valid MAC (a
 * revoked token record, an older secret metadata) while the node runs. Per item it keeps the highest
 * revision seen and that row's MAC tag (the MAC's first 8 bytes); MACs of rows this node saw superseded or
 * deleted are "retired". A read is suspect when its MAC is retired or its revision is below the one seen;
 * the caller reads once more (a read racing a write legitimately returns the older row) and refuses if the
 * second read is suspect too.
 *
 * <p>Limits (docs/keys.md): memory only (bounded; lost on restart), per node; a change another node makes
 * only drops this node's entry (its notification cannot say which row it replaced). Thread-safe.
 */
final class ReplayGuard {
    private static final int MAX = 200_000;

    /** {@code foreign}: a change by any node was notified since; the revision no longer orders reads. */
    private record Seen(long revision, long tag, boolean foreign) {
    }

    // maintenance on the calling thread: no task handed to the common pool from the read path
    private final Cache<Object, Seen> seen = Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();
    private final Cache<Long, Boolean> retired = Caffeine.newBuilder().maximumSize(MAX).executor(Runnable::run).build();

    /** Whether a read of {@code item} at {@code revision} with MAC tag {@code tag} looks like a replay. */
    boolean suspect(Object item, long revision, long tag) {
        if (retired.getIfPresent(tag) != null) {
            return true;
        }
        Seen s = seen.getIfPresent(item);
        return s != null && !s.foreign && (revision < s.revision || (revision == s.revision && tag != s.tag));
    }

    /** A verified read or a write of this node: remembers it, retiring the row it supersedes. */
    void saw(Object item, long revision, long tag) {
        Seen s = seen.getIfPresent(item);
        if (s != null && !s.foreign && s.revision >= revision) {
            return;
        }
        seen.put(item, new Seen(revision, tag, false));
        // only a row with a higher revision proves the one seen superseded (a read racing a write can be older)
        if (s != null && s.tag != tag && revision > s.revision) {
            retired.put(s.tag, Boolean.TRUE);
        }
    }

    /** This node deleted {@code item}: its last row may never come back. */
    void deleted(Object item) {
        Seen s = seen.asMap().remove(item);
        if (s != null) {
            retired.put(s.tag, Boolean.TRUE);
        }
    }

    /** An identity was deleted with its secrets: forget them (a secret re-created later starts at revision 1). */
    void identityDeleted(String org, String identity) {
        seen.asMap().keySet().removeIf(k -> k instanceof SecretRef r && r.organizationId().equals(org)
                && r.identityId().equals(identity));
    }

    /**
     * A node (maybe this one) committed a write: the notification does not say which row it replaced, so the
     * revision seen no longer orders reads (a row deleted and created again starts at revision 1); the MAC
     * seen is kept, to be retired when this node deletes the row.
     */
    void changed(StorageChange c) {
        switch (c.kind()) {
            case ANY -> seen.asMap().replaceAll((k, s) -> new Seen(s.revision, s.tag, true));
            case SECRET -> foreign(new SecretRef(c.scope(), c.id(), c.key()));
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
