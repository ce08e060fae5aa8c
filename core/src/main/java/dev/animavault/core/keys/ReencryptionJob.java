package dev.animavault.core.keys;

import dev.animavault.core.auth.TokenService;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.KeyringView;
import dev.animavault.core.config.KeyringConfig;
import dev.animavault.core.service.Organizations;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Moves every stored secret version and every sealed core record to the active data key, then removes the
 * data keys nothing references any more; also drops token key versions no token record uses (or past their
 * deadline).
 *
 * <p><b>One node at a time</b>: the work runs under the storage lease {@value #LEASE}, renewed at every
 * checkpoint; the job's state record is written conditionally on its revision, so a node whose lease
 * lapsed (a long pause) stops at its next checkpoint.
 *
 * <p><b>Resumable</b>: the cursor (the last secret finished: organization, identity, key) and the counts
 * are saved every {@code batch} secrets in record {@code sys/keyring-job}; a node that takes the job over
 * after a crash continues from there. A pass that started from a cursor never ends the job: the job ends
 * with a pass that walked everything from the beginning and found nothing left to move, so skipping by
 * cursor cannot leave a value behind, whatever order a backend lists in.
 *
 * <p><b>Throttled</b>: at most {@code rate} versions (and records) are examined per second, so the
 * agents' reads keep their latency; one version is re-encrypted with one conditional write
 * ({@link StorageBackend#replaceVersionValue}), never a lock held across secrets.
 *
 * <p>Nodes that have not yet seen a rotation keep sealing under the previous key: the job starts only once
 * the active key is {@code 3 x refresh-interval} old, and its final pass catches any straggler before a
 * key is removed. Not thread-safe: driven by one thread of {@link KeyringService}.
 */
final class ReencryptionJob {
    /** The storage lease name. */
    static final String LEASE = "keyring/reencrypt";
    private static final System.Logger LOG = System.getLogger(ReencryptionJob.class.getName());
    private static final int MAX_PASSES = 10;

    /** Thrown inside the walk to stop it (lease lost, keyring changed, node closing). */
    private static final class Abort extends RuntimeException {
        Abort(String why) {
            super(why, null, false, false);
        }
    }

    private final StorageBackend storage;
    private final Barrier barrier;
    private final TokenService tokens;
    private final Clock clock;
    private final KeyringConfig config;
    private final String nodeId;
    private final List<String> sealedNamespaces;
    private final BooleanSupplier closing;
    private final Consumer<Map<String, String>> onKeysRemoved;
    private final Duration leaseTtl;

    private Lease lease;
    // token key retirement scans every token record: not more often than this
    private final Duration tokenCheckInterval;
    private Instant nextTokenCheck = Instant.MIN;
    private long stateRevision;
    private JobState state;
    private long examined;
    private long throttleStart;

    ReencryptionJob(StorageBackend storage, Barrier barrier, TokenService tokens, Clock clock, KeyringConfig config,
                    String nodeId, List<String> sealedNamespaces, BooleanSupplier closing,
                    Consumer<Map<String, String>> onKeysRemoved) {
        this.storage = storage;
        this.barrier = barrier;
        this.tokens = tokens;
        this.clock = clock;
        this.config = config;
        this.nodeId = nodeId;
        this.sealedNamespaces = List.copyOf(sealedNamespaces);
        this.closing = closing;
        this.onKeysRemoved = onKeysRemoved;
        Duration threeRefreshes = config.refreshInterval().multipliedBy(3);
        this.leaseTtl = threeRefreshes.compareTo(Duration.ofSeconds(10)) > 0 ? threeRefreshes : Duration.ofSeconds(10);
        this.tokenCheckInterval = config.refreshInterval().multipliedBy(20);
    }

    /** The job's state as stored, if it ever ran. */
    static Optional<JobState> stored(StorageBackend storage) {
        return storage.getRecord(KeyringService.NAMESPACE, JobState.RECORD).map(r -> JobState.fromJson(r.value()));
    }

    /**
     * Does whatever is left: returns when the work is done, when another node holds the lease, or at the
     * first checkpoint after the lease was lost, the keyring changed or the node began closing.
     */
    void runOnce() {
        KeyringView view = barrier.view();
        int active = view.activeKey();
        Set<Integer> old = new HashSet<>(barrier.dataKeyIds());
        old.remove(active);
        boolean tokenWork = view.tokenKeys().size() > 1 && !clock.instant().isBefore(nextTokenCheck);
        if (old.isEmpty() && !tokenWork) {
            return;
        }
        Optional<StoredRecord> rec = storage.getRecord(KeyringService.NAMESPACE, JobState.RECORD);
        JobState st = rec.map(r -> JobState.fromJson(r.value())).orElse(null);
        boolean unsupportedAlready = st != null && st.target() == active && JobState.UNSUPPORTED.equals(st.phase());
        boolean settled = !view.active().created().plus(config.refreshInterval().multipliedBy(3)).isAfter(clock.instant());
        boolean dataWork = !old.isEmpty() && !unsupportedAlready && settled;
        if (!dataWork && !tokenWork) {
            return;
        }
        Optional<Lease> got = storage.tryAcquireLease(LEASE, nodeId, leaseTtl);
        if (got.isEmpty()) {
            return;
        }
        lease = got.get();
        try {
            if (dataWork) {
                stateRevision = rec.map(StoredRecord::revision).orElse(0L);
                if (st == null || st.target() != active || !st.running()) {
                    state = JobState.start(active, countSecrets(), clock.instant(), nodeId);
                    LOG.log(System.Logger.Level.INFO, "Keyring re-encryption to data key {0} started ({1} secrets)",
                            active, state.secretsTotal());
                } else {
                    state = st.resumedBy(nodeId);
                    LOG.log(System.Logger.Level.INFO, "Keyring re-encryption to data key {0} resumed at pass {1}, "
                            + "{2} of {3} secrets done", active, state.pass(), state.secretsDone(), state.secretsTotal());
                }
                save();
                run(old);
            }
            if (tokenWork) {
                nextTokenCheck = clock.instant().plus(tokenCheckInterval);
                retireTokenKeys();
            }
        } catch (Abort e) {
            LOG.log(System.Logger.Level.INFO, "Keyring re-encryption paused: {0}", e.getMessage());
        } finally {
            storage.releaseLease(lease);
            lease = null;
        }
    }

    private void run(Set<Integer> old) {
        throttleStart = System.nanoTime();
        examined = 0;
        while (true) {
            try {
                if (storage.protection() == Protection.NONE) {
                    walkSecrets();
                }
                walkRecords();
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.UNAVAILABLE) {
                    throw e;
                }
                state = state.finished(JobState.UNSUPPORTED, clock.instant(), e.getMessage());
                save();
                LOG.log(System.Logger.Level.WARNING, "Keyring re-encryption cannot run: {0}", e.getMessage());
                return;
            }
            if (!state.resumed() && state.movedThisPass() == 0) {
                break; // a full pass found nothing on an old key
            }
            if (state.pass() >= MAX_PASSES) {
                throw new Abort("still moving values after " + MAX_PASSES + " passes; trying again later");
            }
            state = state.nextPass();
            save();
        }
        checkpointChecks();
        if (storage instanceof dev.animavault.core.integrity.IntegrityStorage integrity) {
            // storage MACs name their data key too (issue 14, tamper evidence): move them before the key goes
            long remacd = integrity.rewriteStale();
            LOG.log(System.Logger.Level.INFO, "Keyring re-encryption re-MAC''d {0} rows", remacd);
        }
        barrier.removeDataKeys(old);
        state = state.finished(JobState.DONE, clock.instant(), null);
        save();
        LOG.log(System.Logger.Level.INFO, "Keyring re-encryption to data key {0} done: {1} versions and {2} records "
                + "moved; removed data keys {3}", state.target(), state.versionsMoved(), state.recordsMoved(), old);
        onKeysRemoved.accept(Map.of("removedKeys", old.toString(), "activeKey", Integer.toString(state.target()),
                "versionsMoved", Long.toString(state.versionsMoved()),
                "recordsMoved", Long.toString(state.recordsMoved())));
    }

    // ---------------------------------------------------------------- secrets

    private void walkSecrets() {
        String cOrg = state.org();
        String cIdentity = state.identity();
        String cKey = state.key();
        long[] c = {state.secretsDone(), state.versionsMoved(), state.movedThisPass(), 0};
        forEach(p -> storage.listRecords(Organizations.NAMESPACE, p), orgRecord -> {
            String org = orgRecord.key();
            if (cOrg != null && org.compareTo(cOrg) < 0) {
                return;
            }
            forEach(p -> storage.listIdentities(org, p), (Identity identity) -> {
                String id = identity.id();
                if (cOrg != null && org.equals(cOrg) && id.compareTo(cIdentity) < 0) {
                    return;
                }
                forEach(p -> storage.listSecrets(org, id, p), (SecretMetadata m) -> {
                    String key = m.ref().key();
                    if (cOrg != null && org.equals(cOrg) && id.equals(cIdentity) && key.compareTo(cKey) <= 0) {
                        return;
                    }
                    long moved = reencrypt(m.ref());
                    c[0]++;
                    c[1] += moved;
                    c[2] += moved;
                    if (++c[3] >= config.reencryptBatch()) {
                        c[3] = 0;
                        state = state.at(org, id, key, c[0], c[1], state.recordsMoved(), c[2]);
                        checkpoint();
                    }
                });
            });
        });
        state = state.at(null, null, null, c[0], c[1], state.recordsMoved(), c[2]);
        checkpoint();
    }

    private long reencrypt(SecretRef ref) {
        long moved = 0;
        for (SecretVersion v : storage.listVersions(ref)) {
            examined++;
            byte[] value = v.value();
            int keyId = Barrier.keyIdOf(value);
            if (keyId == -1 || keyId == state.target()) {
                continue;
            }
            byte[] resealed;
            try {
                resealed = barrier.reseal(ref, v.version(), value);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.INTEGRITY_ERROR) {
                    throw e;
                }
                // unreadable already (tampered or damaged); reads report it, and it blocks no key removal:
                // no key could open it
                LOG.log(System.Logger.Level.WARNING, "Keyring re-encryption skips version {0} of a secret of "
                        + "identity {1}: {2}", v.version(), ref.identityId(), e.getMessage());
                continue;
            }
            if (resealed != null && storage.replaceVersionValue(ref, v.version(), value, resealed)) {
                moved++;
            }
        }
        return moved;
    }

    private long countSecrets() {
        if (storage.protection() != Protection.NONE) {
            return 0;
        }
        long[] n = {0};
        forEach(p -> storage.listRecords(Organizations.NAMESPACE, p), org -> forEach(
                p -> storage.listIdentities(org.key(), p), (Identity identity) -> forEach(
                        p -> storage.listSecrets(org.key(), identity.id(), p), (SecretMetadata m) -> n[0]++)));
        return n[0];
    }

    // ---------------------------------------------------------------- records

    private void walkRecords() {
        long[] moved = {0};
        for (String ns : sealedNamespaces) {
            forEach(p -> storage.listRecords(ns, p), r -> {
                examined++;
                byte[] value = r.value();
                int keyId = Barrier.keyIdOf(value);
                if (keyId == -1 || keyId == state.target()) {
                    return;
                }
                try {
                    byte[] resealed = barrier.resealRecord(ns, r.key(), value);
                    if (resealed != null) {
                        storage.putRecord(ns, r.key(), resealed, r.revision());
                        moved[0]++;
                    }
                } catch (VaultException e) {
                    if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.NOT_FOUND) {
                        moved[0]++; // changed meanwhile: the next pass looks at it again
                    } else if (e.errorCode() != ErrorCode.INTEGRITY_ERROR) {
                        throw e;
                    }
                }
            });
        }
        state = state.at(null, null, null, state.secretsDone(), state.versionsMoved(),
                state.recordsMoved() + moved[0], state.movedThisPass() + moved[0]);
        checkpoint();
    }

    // ---------------------------------------------------------------- token keys

    private void retireTokenKeys() {
        KeyringView view = barrier.view();
        Instant now = clock.instant();
        Map<Integer, Long> inUse = tokens.recordsPerKeyVersion();
        Set<Integer> drop = new HashSet<>();
        for (KeyringView.TokenKeyInfo t : view.tokenKeys()) {
            if (t.active()) {
                continue;
            }
            boolean pastDeadline = t.retiresAt() != null && !now.isBefore(t.retiresAt());
            if (pastDeadline || inUse.getOrDefault(t.version(), 0L) == 0) {
                drop.add(t.version());
            }
        }
        if (!drop.isEmpty()) {
            barrier.removeTokenKeys(drop);
            LOG.log(System.Logger.Level.INFO, "Removed token key versions {0}", drop);
            onKeysRemoved.accept(Map.of("removedTokenKeys", drop.toString(),
                    "activeTokenKey", Integer.toString(view.activeTokenKey())));
        }
    }

    // ---------------------------------------------------------------- checkpoints

    private void checkpoint() {
        checkpointChecks();
        save();
        Optional<Lease> renewed = storage.renewLease(lease, leaseTtl);
        if (renewed.isEmpty()) {
            throw new Abort("the lease was lost");
        }
        lease = renewed.get();
        // throttle: no more than rate examined items per second since the run began
        long dueNanos = throttleStart + examined * 1_000_000_000L / config.reencryptRate();
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Abort("interrupted");
            }
        }
    }

    private void checkpointChecks() {
        if (closing.getAsBoolean()) {
            throw new Abort("the node is closing");
        }
        barrier.refresh();
        if (barrier.activeKeyId() != state.target()) {
            throw new Abort("the keyring was rotated again; the job restarts for the new key");
        }
    }

    private void save() {
        try {
            stateRevision = storage.putRecord(KeyringService.NAMESPACE, JobState.RECORD, state.toJson(), stateRevision)
                    .revision();
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.ALREADY_EXISTS
                    || e.errorCode() == ErrorCode.NOT_FOUND) {
                throw new Abort("another node took the job over");
            }
            throw e;
        }
    }

    private static <T> void forEach(Function<PageRequest, Page<T>> list, Consumer<T> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<T> page = list.apply(new PageRequest(200, cursor));
            page.items().forEach(each);
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }
}
