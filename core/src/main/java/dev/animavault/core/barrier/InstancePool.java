package dev.animavault.core.barrier;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A small pool of reusable, not thread-safe JCA objects ({@code Cipher}, {@code Mac}): looking them up
 * through the provider framework on every request costs more than the cryptography itself. Requests run
 * on virtual threads, so a ThreadLocal would not be reused; a fixed array of slots is, without a node
 * allocation per hand-back (as a linked queue would make).
 *
 * <p>{@link #take} claims the first filled slot with a compare-and-set; {@link #give} fills the first
 * empty one. Both scan from slot 0, so the instances in use cluster at the front and a take usually
 * succeeds at the first or second slot. Cryptography never blocks, so at most one instance per carrier
 * thread is out at a time; when the slots are full, a returned instance is dropped, and when they are
 * empty a new one is made. Thread-safe.
 */
public final class InstancePool<T> {
    static final int SLOTS = 32;

    private final AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(SLOTS);
    private final Supplier<T> factory;

    public InstancePool(Supplier<T> factory) {
        this.factory = factory;
    }

    public T take() {
        for (int i = 0; i < SLOTS; i++) {
            T t = slots.getPlain(i);
            if (t != null && slots.compareAndSet(i, t, null)) {
                return t;
            }
        }
        return factory.get();
    }

    public void give(T t) {
        for (int i = 0; i < SLOTS; i++) {
            if (slots.getPlain(i) == null && slots.compareAndSet(i, null, t)) {
                return;
            }
        }
    }
}
