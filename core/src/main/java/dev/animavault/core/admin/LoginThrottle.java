package dev.animavault.core.admin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.core.config.AdminConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Temporary lockouts after failed logins and codes, per account and per source address, on this node.
 * Below a threshold failures cost nothing; from it on, each further failure locks the key for a delay
 * that doubles (1 s, 2 s, 4 s, ... up to {@code maxLockout}). A success resets the account's count (not
 * the address's: one good account must not clear a guessing address). Counts live in memory and are
 * forgotten after {@code 2 x maxLockout} of quiet; the durable lock after 20 wrong codes is the
 * account's own ({@link AdminAccount#lockedUntil()}). Thread-safe.
 */
public final class LoginThrottle {
    private final Clock clock;
    private final int accountThreshold;
    private final int addressThreshold;
    private final Duration maxLockout;
    private final Cache<String, Entry> entries;

    private static final class Entry {
        int failures;
        Instant lockedUntil;
    }

    public LoginThrottle(AdminConfig config, Clock clock) {
        this.clock = clock;
        this.accountThreshold = config.accountFailuresBeforeDelay();
        this.addressThreshold = config.addressFailuresBeforeDelay();
        this.maxLockout = config.maxLockout();
        this.entries = Caffeine.newBuilder().expireAfterAccess(maxLockout.multipliedBy(2)).maximumSize(100_000).build();
    }

    /** Seconds until the account or the address may try again, or 0 when neither is locked. */
    public long retryAfter(String account, String address) {
        Instant now = clock.instant();
        long a = account == null ? 0 : remaining("a:" + account, now);
        return Math.max(a, remaining("ip:" + address, now));
    }

    /** Counts a failure against the account (when known) and the address; returns the resulting lock in seconds. */
    public long failure(String account, String address) {
        Instant now = clock.instant();
        long a = account == null ? 0 : count("a:" + account, accountThreshold, now);
        long b = count("ip:" + address, addressThreshold, now);
        return Math.max(a, b);
    }

    /** Forgets the account's failures after a success. */
    public void success(String account) {
        entries.invalidate("a:" + account);
    }

    private long remaining(String key, Instant now) {
        Entry e = entries.getIfPresent(key);
        if (e == null) {
            return 0;
        }
        synchronized (e) {
            if (e.lockedUntil == null || !now.isBefore(e.lockedUntil)) {
                return 0;
            }
            return Math.max(1, Duration.between(now, e.lockedUntil).toMillis() / 1000 + 1);
        }
    }

    private long count(String key, int threshold, Instant now) {
        Entry e = entries.get(key, k -> new Entry());
        synchronized (e) {
            e.failures++;
            if (e.failures < threshold) {
                return 0;
            }
            int over = Math.min(30, e.failures - threshold);
            Duration delay = Duration.ofSeconds(1L << over);
            if (delay.compareTo(maxLockout) > 0) {
                delay = maxLockout;
            }
            e.lockedUntil = now.plus(delay);
            return delay.toSeconds();
        }
    }
}
