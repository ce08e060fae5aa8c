package dev.animavault.core.rootkey;

import dev.animavault.spi.storage.StorageChange;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Lets a node follow a root key rotation made by another node without a restart: checks the keyring record
 * when a {@code ChangeNotifying} backend reports it changed, and on a poll (storage without notifications,
 * or a missed notification). Started by a serving node; idempotent start and close.
 */
public final class RootKeyWatcher implements AutoCloseable {
    private final RootKeyService service;
    private final Duration interval;
    private ScheduledExecutorService timer;

    public RootKeyWatcher(RootKeyService service, Duration interval) {
        this.service = service;
        this.interval = interval;
    }

    /** Starts the poll. */
    public synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("root-key-watch")
                .factory());
        timer.scheduleWithFixedDelay(service::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A storage change notification: the keyring record (or anything) changed. */
    public void changed(StorageChange change) {
        boolean keyring = change.kind() == StorageChange.Kind.ANY
                || (change.kind() == StorageChange.Kind.RECORD && "sys".equals(change.scope())
                && "keyring".equals(change.id()));
        if (keyring) {
            Thread.ofVirtual().name("root-key-refresh").start(service::refresh);
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
