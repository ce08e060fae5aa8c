package dev.animavault.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditSink;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-address bucket, the shared bucket past the address limit, and the summaries. */
class FailedAuthThrottleTest {
    private final List<AuditEvent> recorded = Collections.synchronizedList(new ArrayList<>());
    private final AuditSink sink = new AuditSink() {
        @Override
        public void probe() {
        }

        @Override
        public void write(List<AuditEvent> events) {
            recorded.addAll(events);
        }

        @Override
        public void close() {
        }
    };

    @Test
    void eachAddressHasItsOwnBurstThenRetryAfter() {
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5));
             FailedAuthThrottle throttle = new FailedAuthThrottle(broker, Clock.systemUTC(), 3, 0.5,
                     Duration.ofHours(1), 100)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(0, throttle.failure("192.0.2.1"), "within the burst");
            }
            long retry = throttle.failure("192.0.2.1");
            assertTrue(retry >= 1 && retry <= 2, "one token comes back every 2 s: " + retry);
            assertEquals(0, throttle.failure("192.0.2.2"), "another address is not affected");
            throttle.failure("192.0.2.1");

            assertEquals(1, throttle.flushSummaries());
            AuditEvent summary = recorded.get(recorded.size() - 1);
            assertEquals("auth.denied", summary.action());
            assertEquals("192.0.2.1", summary.remoteAddress());
            assertEquals("2", summary.details().get("failures"));
            assertEquals(0, throttle.flushSummaries(), "nothing new, nothing written");
        }
    }

    @Test
    void addressesPastTheLimitShareOneBucket() {
        try (AuditBroker broker = new AuditBroker(List.of(sink), Duration.ofSeconds(5));
             FailedAuthThrottle throttle = new FailedAuthThrottle(broker, Clock.systemUTC(), 2, 0.001,
                     Duration.ofHours(1), 2)) {
            throttle.failure("192.0.2.1");
            throttle.failure("192.0.2.2");
            // a flood from ever new addresses: tracked as one
            int throttled = 0;
            for (int i = 0; i < 100; i++) {
                if (throttle.failure("198.51.100." + i) > 0) {
                    throttled++;
                }
            }
            assertEquals(98, throttled, "two go through on the shared bucket's burst, the rest are throttled");
            assertEquals(3, throttle.trackedAddresses(), "bounded: two addresses and the shared bucket");
            assertEquals(1, throttle.flushSummaries());
            AuditEvent summary = recorded.get(recorded.size() - 1);
            assertEquals("98", summary.details().get("failures"));
            assertEquals("many", summary.details().get("addresses"));
        }
    }
}
