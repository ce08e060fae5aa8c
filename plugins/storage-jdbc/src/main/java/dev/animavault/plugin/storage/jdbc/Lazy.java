package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;

/**
 * A value made by its supplier at the first {@link #get()} and kept (issue 19: Jdbi's set-up, ~a tenth of a
 * start's main thread, runs at the first listing or write instead of while the server starts). Thread-safe:
 * concurrent first callers wait for one making; a supplier that throws leaves it unmade (the next call tries
 * again).
 */
final class Lazy<T> implements Supplier<T> {

    private final Supplier<T> maker;
    private volatile T value;

    Lazy(Supplier<T> maker) {
        this.maker = requireNonNull(maker, "maker is null");
    }

    @Override
    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = requireNonNull(maker.get(), "made null");
                    value = v;
                }
            }
        }
        return v;
    }

    /** Whether the value has been made. */
    boolean made() {
        return value != null;
    }
}
