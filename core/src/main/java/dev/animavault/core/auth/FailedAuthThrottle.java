package dev.animavault.core.auth;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Limits what failed authentications from one source address cost: each address has a token bucket of
 * {@code burst} failures refilled at {@code perSecond}. A failure that finds a token is answered 401 and
 * audited on its own, as before; one that finds none is answered 429 with {@code Retry-After} and only
 * counted, and once per {@code window} every address with counted failures gets one {@code auth.denied}
 * audit event ({@code details.failures}, {@code details.from}, {@code details.to}). An anonymous flood
 * therefore writes at most about {@code perSecond} events a second plus one per window per address,
 * instead of one per request.
 *
 * <p>Only failures consult the bucket: a request whose token verifies is never throttled and costs
 * nothing here (agents behind one proxy address keep working while something floods from it). The map is
 * bounded: beyond {@code maxAddresses}, new addresses share one bucket ({@code *}), so a flood from many
 * addresses is throttled as one. Idle addresses are dropped by the sweeper that emits the summaries.
 * Thread-safe; {@link #close()} stops the sweeper after a last summary.
 */
public final class FailedAuthThrottle implements AutoCloseable {
    /** Failures one address may have audited one by one before it is throttled. */
    public static final int DEFAULT_BURST = 20;
    /** How fast an address's allowance comes back, per second. */
    public static final double DEFAULT_PER_SECOND = 1.0;
    /** How often throttled failures are summarized in one audit event per address. */
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
    /** Addresses tracked one by one; the rest share a bucket. */
    public static final int DEFAULT_MAX_ADDRESSES = 10_000;
    /** The audit action of a summary. */
    public static final String SUMMARY_ACTION = "auth.denied";
    private static final String OVERFLOW = "*";

    private final AuditBroker audit;
    private final Clock clock;
    private final int burst;
    private final double perNano;
    private final long windowNanos;
    private final int maxAddresses;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Thread sweeper;
    private volatile boolean closed;

    /** One address's allowance and its throttled failures since the last summary. Guarded by itself. */
    private static final class Bucket {
        double tokens;
        long refilledAt;
        long throttled;
        Instant firstThrottled;
        Instant lastThrottled;
        boolean removed;

        Bucket(int burst, long now) {
            tokens = burst;
            refilledAt = now;
        }
    }

    public FailedAuthThrottle(AuditBroker audit, Clock clock) {
        this(audit, clock, DEFAULT_BURST, DEFAULT_PER_SECOND, DEFAULT_WINDOW, DEFAULT_MAX_ADDRESSES);
    }

    public FailedAuthThrottle(AuditBroker audit, Clock clock, int burst, double perSecond, Duration window,
                              int maxAddresses) {
        this.audit = Objects.requireNonNull(audit, "audit is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
        if (burst < 1 || perSecond <= 0 || window.isNegative() || window.isZero() || maxAddresses < 1) {
            throw new IllegalArgumentException("burst, perSecond, window and maxAddresses must be positive");
        }
        this.burst = burst;
        this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
        this.windowNanos = window.toNanos();
        this.maxAddresses = maxAddresses;
        this.sweeper = Thread.ofPlatform().daemon().name("auth-failure-sweeper").start(this::sweepLoop);
    }

    /**
     * Counts one failed authentication from {@code address}.
     *
     * @return 0 when the failure should be answered 401 and audited on its own; otherwise the seconds after
     *         which this address may fail again unthrottled (answer 429 with that {@code Retry-After}; the
     *         failure is counted into the next summary and must not be audited on its own)
     */
    public long failure(String address) {
        String key = address == null ? "unknown" : address;
        while (true) {
            long now = System.nanoTime();
            Bucket b = buckets.get(key);
            if (b == null) {
                String k = buckets.size() >= maxAddresses ? OVERFLOW : key;
                b = buckets.computeIfAbsent(k, x -> new Bucket(burst, now));
            }
            synchronized (b) {
                if (b.removed) {
                    continue; // the sweeper dropped it meanwhile: take the new one
                }
                return take(b, now);
            }
        }
    }

    /** Under the bucket's monitor: takes a token, or counts a throttled failure. */
    private long take(Bucket b, long now) {
        b.tokens = Math.min(burst, b.tokens + (now - b.refilledAt) * perNano);
        b.refilledAt = now;
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return 0;
        }
        Instant at = clock.instant();
        if (b.throttled++ == 0) {
            b.firstThrottled = at;
        }
        b.lastThrottled = at;
        double secondsToNextToken = (1 - b.tokens) / perNano / TimeUnit.SECONDS.toNanos(1);
        return Math.max(1, (long) Math.ceil(secondsToNextToken));
    }

    /**
     * Records one {@value #SUMMARY_ACTION} event for every address with throttled failures since its last
     * summary, and forgets addresses that are idle with a full allowance. The sweeper calls it once per
     * window; tests may call it directly.
     *
     * @return the number of summary events recorded
     */
    public int flushSummaries() {
        int written = 0;
        long now = System.nanoTime();
        for (Map.Entry<String, Bucket> e : buckets.entrySet()) {
            Bucket b = e.getValue();
            long count;
            Instant from;
            Instant to;
            synchronized (b) {
                count = b.throttled;
                from = b.firstThrottled;
                to = b.lastThrottled;
                b.throttled = 0;
                b.firstThrottled = null;
                b.lastThrottled = null;
                double tokens = Math.min(burst, b.tokens + (now - b.refilledAt) * perNano);
                if (count == 0 && tokens >= burst) {
                    b.removed = true;
                    buckets.remove(e.getKey(), b);
                }
            }
            if (count > 0) {
                Instant ts = clock.instant();
                // best effort, like every audit event of a refused authentication
                audit.record(new AuditEvent(audit.newEventId(ts.toEpochMilli()), ts, SUMMARY_ACTION,
                        AuditOutcome.DENIED, null, null, null, null, "anonymous", null,
                        OVERFLOW.equals(e.getKey()) ? null : e.getKey(), ErrorCode.RATE_LIMITED.code(),
                        Map.of("failures", Long.toString(count), "from", from.toString(), "to", to.toString(),
                                "addresses", OVERFLOW.equals(e.getKey()) ? "many" : "one")));
                written++;
            }
        }
        return written;
    }

    /** Addresses tracked now (tests). */
    int trackedAddresses() {
        return buckets.size();
    }

    private void sweepLoop() {
        while (!closed) {
            LockSupport.parkNanos(this, windowNanos);
            if (closed) {
                return;
            }
            try {
                flushSummaries();
            } catch (RuntimeException e) {
                System.getLogger(FailedAuthThrottle.class.getName()).log(System.Logger.Level.WARNING,
                        "Summarizing throttled authentication failures failed: " + e);
            }
        }
    }

    /** Stops the sweeper and writes a last summary (before the audit broker closes). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(sweeper);
        flushSummaries();
    }
}
