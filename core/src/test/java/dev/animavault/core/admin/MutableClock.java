package dev.animavault.core.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock tests move forward: {@code start} plus the advances, or the system time plus them. */
public final class MutableClock extends Clock {
    private final Instant start;
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    /** A fixed clock at {@code start}; null follows the system clock. */
    public MutableClock(Instant start) {
        this.start = start;
    }

    public void advance(Duration d) {
        offset.updateAndGet(o -> o.plus(d));
    }

    @Override
    public Instant instant() {
        return (start == null ? Instant.now() : start).plus(offset.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
