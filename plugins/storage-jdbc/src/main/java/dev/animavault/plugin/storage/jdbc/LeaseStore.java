package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Lease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Leases (named, fenced, expiring locks between nodes) on the {@code leases} table. Thread-safe. */
final class LeaseStore {

    private final JdbcAccess db;
    private final Clock clock;

    LeaseStore(JdbcAccess db, Clock clock) {
        this.db = requireNonNull(db, "db is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * One conditional upsert on the {@code leases} table (V2): the row is inserted, or taken over when it
     * has expired or already belongs to {@code owner}; the database decides atomically, so racing nodes
     * on one PostgreSQL (or processes on one SQLite file) get it once. Expiry uses this node's clock.
     */
    Optional<Lease> tryAcquireLease(String name, String owner, Duration ttl) {
        Lease.checkNames(name, owner);
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "lease ttl must be positive");
        }
        Instant now = Codec.stored(clock.instant());
        Instant expiresAt = Codec.stored(now.plus(ttl));
        return db.write("tryAcquireLease", JdbcAccess.Affects.NO_SECRET, null, null, h -> h.createQuery(
                        "INSERT INTO leases (name, owner, expires_at, fence) VALUES (:name, :owner, :expiresAt, 1) "
                                + "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                                + "expires_at = excluded.expires_at, fence = leases.fence + 1 "
                                + "WHERE leases.expires_at <= :now OR leases.owner = :owner RETURNING fence")
                .bind("name", name)
                .bind("owner", owner)
                .bind("expiresAt", Codec.micros(expiresAt))
                .bind("now", Codec.micros(now))
                .mapTo(Long.class)
                .findOne()
                .map(fence -> new Lease(name, owner, expiresAt, fence)));
    }

    Optional<Lease> renewLease(Lease lease, Duration ttl) {
        requireNonNull(lease, "lease is null");
        Instant now = Codec.stored(clock.instant());
        Instant expiresAt = Codec.stored(now.plus(ttl));
        int n = db.write("renewLease", JdbcAccess.Affects.NO_SECRET, null, null, h -> h.createUpdate("UPDATE leases SET expires_at = "
                        + ":expiresAt WHERE name = :name AND owner = :owner AND fence = :fence AND expires_at > :now")
                .bind("expiresAt", Codec.micros(expiresAt))
                .bind("name", lease.name())
                .bind("owner", lease.owner())
                .bind("fence", lease.fence())
                .bind("now", Codec.micros(now))
                .execute());
        return n == 1 ? Optional.of(new Lease(lease.name(), lease.owner(), expiresAt, lease.fence())) : Optional.empty();
    }

    void releaseLease(Lease lease) {
        requireNonNull(lease, "lease is null");
        // the row stays (expired), so the next grant's fence is still greater
        db.write("releaseLease", JdbcAccess.Affects.NO_SECRET, null, null, h -> h.createUpdate("UPDATE leases SET expires_at = 0 "
                        + "WHERE name = :name AND owner = :owner AND fence = :fence")
                .bind("name", lease.name())
                .bind("owner", lease.owner())
                .bind("fence", lease.fence())
                .execute());
    }
}
