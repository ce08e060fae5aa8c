package dev.animavault.core.barrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InstancePoolTest {

    /** A pool whose factory counts the instances it makes. */
    private static InstancePool<Object> counting(AtomicInteger made) {
        return new InstancePool<>(() -> {
            made.incrementAndGet();
            return new Object();
        });
    }

    @Test
    void reusesWhatWasGivenBack() {
        AtomicInteger made = new AtomicInteger();
        InstancePool<Object> pool = counting(made);
        Object a = pool.take();
        pool.give(a);
        assertSame(a, pool.take());
        assertEquals(1, made.get());
    }

    @Test
    void keepsAtMostItsSlotsAndMakesMoreWhenEmpty() {
        AtomicInteger made = new AtomicInteger();
        InstancePool<Object> pool = counting(made);
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < InstancePool.SLOTS + 5; i++) {
            out.add(pool.take());
        }
        assertEquals(InstancePool.SLOTS + 5, made.get());
        out.forEach(pool::give); // the last 5 are dropped
        for (int i = 0; i < InstancePool.SLOTS; i++) {
            pool.take();
        }
        assertEquals(InstancePool.SLOTS + 5, made.get(), "the full pool served every take");
        pool.take();
        assertEquals(InstancePool.SLOTS + 6, made.get(), "an empty pool makes a new instance");
    }

    /** The point of the pool: an instance is never held by two threads at once. */
    @Test
    void neverHandsOneInstanceToTwoThreads() throws Exception {
        InstancePool<Object> pool = new InstancePool<>(Object::new);
        var held = ConcurrentHashMap.<Object>newKeySet();
        AtomicInteger clashes = new AtomicInteger();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 50_000; i++) {
                    Object o = pool.take();
                    if (!held.add(o)) {
                        clashes.incrementAndGet();
                    }
                    Thread.onSpinWait();
                    held.remove(o);
                    pool.give(o);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(0, clashes.get());
        assertTrue(held.isEmpty());
    }
}
