package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.assertCode;
import static dev.animavault.spi.testkit.StorageContractSupport.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.storage.Lease;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Leases: a free lease is granted to one owner, renewed and released by its holder, taken over after it expires
 * with a greater fence, and won by exactly one of racing owners. Implemented by {@link StorageBackendContract}.
 */
interface LeaseContract extends StorageContractGroup {
    @Test
    default void aFreeLeaseIsGrantedAndAHeldOneIsNot() {
        String name = "lease/" + namespace();
        Optional<Lease> a = backend().tryAcquireLease(name, "node-a", Duration.ofMinutes(1));
        assertTrue(a.isPresent(), "a free lease is granted");
        assertEquals("node-a", a.get().owner());
        assertEquals(name, a.get().name());
        assertTrue(a.get().expiresAt().isAfter(java.time.Instant.now().plusSeconds(30)));
        assertTrue(backend().tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).isEmpty(), "held by node-a");
        Optional<Lease> again = backend().tryAcquireLease(name, "node-a", Duration.ofMinutes(2));
        assertTrue(again.isPresent(), "the holder may take it again (extends it)");
        assertTrue(again.get().fence() >= a.get().fence());
        assertTrue(backend().tryAcquireLease("other/" + namespace(), "node-b", Duration.ofMinutes(1)).isPresent(),
                "leases of other names are independent");
    }

    @Test
    default void anExpiredLeaseGoesToTheNextOwnerWithAGreaterFence() throws Exception {
        String name = "lease/" + namespace();
        Lease a = backend().tryAcquireLease(name, "node-a", Duration.ofMillis(300)).orElseThrow();
        Thread.sleep(450);
        Lease b = backend().tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).orElseThrow(
                () -> new AssertionError("an expired lease must be granted to another owner"));
        assertTrue(b.fence() > a.fence(), "fence grows with every grant");
        assertTrue(backend().renewLease(a, Duration.ofMinutes(1)).isEmpty(), "the old holder cannot renew");
        backend().releaseLease(a); // a no-op for the lost grant
        assertTrue(backend().tryAcquireLease(name, "node-c", Duration.ofMinutes(1)).isEmpty(), "node-b still holds it");
    }

    @Test
    default void renewExtendsAndReleaseFreesAtOnce() {
        String name = "lease/" + namespace();
        Lease a = backend().tryAcquireLease(name, "node-a", Duration.ofSeconds(5)).orElseThrow();
        Lease renewed = backend().renewLease(a, Duration.ofMinutes(10)).orElseThrow(
                () -> new AssertionError("the holder renews"));
        assertTrue(renewed.expiresAt().isAfter(java.time.Instant.now().plusSeconds(300)));
        assertTrue(renewed.fence() >= a.fence());
        assertTrue(backend().tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).isEmpty());
        backend().releaseLease(renewed);
        backend().releaseLease(renewed); // idempotent
        Lease b = backend().tryAcquireLease(name, "node-b", Duration.ofMinutes(1)).orElseThrow(
                () -> new AssertionError("a released lease is free at once"));
        assertTrue(b.fence() > renewed.fence());
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend().tryAcquireLease("", "x", Duration.ofSeconds(1)));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> backend().tryAcquireLease(name, "x", Duration.ZERO));
    }

    @Test
    default void racingOwnersGetALeaseExactlyOnce() throws Exception {
        String name = "lease/" + namespace();
        AtomicInteger granted = new AtomicInteger();
        runConcurrently(contract().concurrentWriters(), w -> {
            if (backend().tryAcquireLease(name, "node-" + w, Duration.ofMinutes(1)).isPresent()) {
                granted.incrementAndGet();
            }
        });
        assertEquals(1, granted.get(), "exactly one of the racing owners holds the lease");
    }
}
