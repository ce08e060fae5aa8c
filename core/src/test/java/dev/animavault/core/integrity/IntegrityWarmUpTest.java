package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The warm-up computes a real SipHash digest on a daemon thread that ends by itself. */
class IntegrityWarmUpTest {
    @Test
    void runsOneDigestOnADaemonThreadThatEnds() throws InterruptedException {
        Thread t = IntegrityWarmUp.start();
        assertEquals("warm-up-integrity", t.getName());
        assertTrue(t.isDaemon());
        assertTrue(t.join(Duration.ofSeconds(30)), "the warm-up thread ended");
        assertFalse(t.isAlive());
        assertEquals(new SipHash(1, 2).digest("organization", "identity", "key"), IntegrityWarmUp.run());
    }
}
