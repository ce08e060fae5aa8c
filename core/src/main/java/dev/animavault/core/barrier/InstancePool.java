package dev.animavault.core.barrier;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A small pool of reusable, not thread-safe JCA objects ({@code Cipher}, {@code Mac}): looking them up
 * through the provider framework on every request costs more than the cryptography itself. Requests run
 * on virtual threads, so a ThreadLocal would not be reused; a lock-free queue is.
 */
final class InstancePool<T> {
    private static final int MAX_IDLE = 64;

    private final ConcurrentLinkedQueue<T> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final Supplier<T> factory;

    InstancePool(Supplier<T> factory) {
        this.factory = factory;
    }

    T take() {
        T t = idle.poll();
        if (t == null) {
            return factory.get();
        }
        idleCount.decrementAndGet();
        return t;
    }

    void give(T t) {
        if (idleCount.incrementAndGet() <= MAX_IDLE) {
            idle.offer(t);
        } else {
            idleCount.decrementAndGet();
        }
    }
}
