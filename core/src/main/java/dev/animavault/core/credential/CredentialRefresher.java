package dev.animavault.core.credential;

import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Proactive refresh: derived values (OAuth access tokens) of secrets that carry a rotation policy are
 * refreshed by the vault shortly before their {@code refreshAt}, so agents' reads find a fresh token
 * instead of waiting for the token endpoint.
 *
 * <p>Every poll interval, the node holding the storage lease {@value #LEASE} (taken and extended with
 * {@link StorageBackend#tryAcquireLease}; a node that dies loses it after {@link #leaseTtl}) lists the
 * credential cache ({@link DerivedValues#due}: one sealed record per secret that has derived values) and
 * runs each due secret's refresh on a virtual thread: the ordinary materialization with a system actor and
 * a lead time, under {@link DerivedValues}' single flight and cross-process claim, so it races safely with
 * agents' reads and with another node that took the lease meanwhile. A value is due within
 * {@code min(3 x poll interval + 1 s, half the time from its derivation to its refreshAt)} of its
 * refreshAt. Only values derived while the secret had a policy are listed as due (the cache entry
 * records it); the policy is checked again before each refresh. A failed refresh keeps the still valid
 * cached value and is retried at the next poll; {@code invalid_grant} marks the secret as needing
 * reauthorization as a read would.
 *
 * <p>Lifecycle: {@link #start()} once the node is ready, {@link #close()} stops it. Thread-safe.
 */
public final class CredentialRefresher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CredentialRefresher.class.getName());
    /** The storage lease that elects the node doing proactive refreshes. */
    public static final String LEASE = "credential-refresh";
    private static final int MAX_DUE_PER_POLL = 1000;

    /** Refreshes one secret's derived value ahead (the vault service's materialization, system actor). */
    @FunctionalInterface
    public interface Refresh {
        void refresh(SecretRef ref, Duration ahead);
    }

    private final StorageBackend storage;
    private final DerivedValues derived;
    private final Duration pollInterval;
    private final Duration maxAhead;
    private final Duration leaseTtl;
    private final Refresh refresh;
    private final String nodeId;
    private final Set<SecretRef> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Thread poller;

    public CredentialRefresher(StorageBackend storage, DerivedValues derived, Duration pollInterval, Refresh refresh) {
        this.storage = storage;
        this.derived = derived;
        this.pollInterval = pollInterval;
        this.maxAhead = pollInterval.multipliedBy(3).plusSeconds(1);
        this.leaseTtl = pollInterval.multipliedBy(3).plusSeconds(5);
        this.refresh = refresh;
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.nodeId = "node-" + HexFormat.of().formatHex(id);
    }

    /** Whether a secret's derived values are refreshed ahead: it has a rotation policy. */
    public static boolean refreshedAhead(SecretMetadata m) {
        return m.attributes().containsKey(LifecycleAttributes.INTERVAL);
    }

    /** Starts polling on a virtual thread. Idempotent. */
    public void start() {
        if (running.compareAndSet(false, true)) {
            poller = Thread.ofVirtual().name("credential-refresher").start(this::loop);
        }
    }

    private void loop() {
        while (running.get()) {
            try {
                pollOnce();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "credential refresh poll failed: " + e.getMessage());
            }
            LockSupport.parkNanos(pollInterval.toNanos());
        }
    }

    /** One poll: when this node holds (or takes) the lease, starts a refresh for each due secret. */
    int pollOnce() {
        Optional<Lease> lease = storage.tryAcquireLease(LEASE, nodeId, leaseTtl);
        if (lease.isEmpty()) {
            return 0; // another node does it
        }
        int started = 0;
        for (DerivedValues.Due due : derived.due(maxAhead, MAX_DUE_PER_POLL)) {
            if (inFlight.add(due.ref())) {
                started++;
                workers.submit(() -> {
                    try {
                        refresh.refresh(due.ref(), due.ahead());
                    } catch (RuntimeException e) {
                        // the message names the secret and the code, never a value; retried at the next poll
                        LOG.log(System.Logger.Level.DEBUG, "proactive refresh of " + due.ref().identityId() + "/"
                                + due.ref().key() + " failed: " + e.getMessage());
                    } finally {
                        inFlight.remove(due.ref());
                    }
                });
            }
        }
        return started;
    }

    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            workers.shutdownNow();
            return;
        }
        Thread t = poller;
        if (t != null) {
            LockSupport.unpark(t);
        }
        workers.shutdown();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }
}
