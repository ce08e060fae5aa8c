package dev.animavault.spi.storage;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Optional capability of a {@link StorageBackend} shared by several vault nodes: it tells each node
 * about writes committed by any node (including itself), so caches of shared state (verified tokens,
 * for instance) can drop what changed instead of waiting for their TTL. Core checks for it with
 * {@code instanceof}; a backend without it is assumed to have this process as its only writer.
 *
 * <p><b>Delivery</b>: at least once, after the write committed, usually within milliseconds; no order
 * across different items is promised. When the backend cannot be sure it delivered everything (its
 * notification channel was lost), it delivers {@link StorageChange#any()} as soon as it notices and
 * then at least every {@link #fallbackBound()} until the channel is back; so a listener that drops
 * what a change names, and everything on {@code ANY}, never keeps a stale copy for longer than
 * {@link #fallbackBound()} plus the channel's latency.
 *
 * <p><b>Threading</b>: listeners are called on one backend thread, one change at a time; they must be
 * quick and must not call the backend. An exception from a listener is logged and ignored.
 */
public interface ChangeNotifying {

    /**
     * Registers {@code listener} until the returned handle is closed or the backend closes.
     * Idempotent close.
     */
    AutoCloseable subscribe(Consumer<StorageChange> listener);

    /** The longest a change can go unnoticed while the notification channel is down (the fallback poll). */
    Duration fallbackBound();
}
