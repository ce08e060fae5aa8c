package dev.animavault.core.integrity;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Lease;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Tamper evidence for storage (issue 14): a {@link StorageBackend} in front of the plugin's that MACs what
 * core writes and checks it on every read, so a row edited, swapped or put back directly in the database is
 * refused with {@code INTEGRITY_ERROR} (and reported to {@code onViolation}, which audits it) instead of
 * being served. One place for every backend; the SPI is unchanged:
 * <ul>
 *   <li><b>Secret metadata</b>: the MAC is the attribute {@value #FIELD} (attributes are core-managed and
 *       round-tripped exactly by every backend). It binds organization, identity, key, type,
 *       {@code currentVersion}, labels, the other attributes (rotation policy, expiry, ...) and the revision
 *       the write was based on. Left in the attributes core sees (core reads attributes by name), so the
 *       secret read stays one round trip with no copy.</li>
 *   <li><b>Identities</b>: the MAC is the metadata label {@value #FIELD} (stripped before core sees it):
 *       organization, id, name, disabled, labels.</li>
 *   <li><b>Records</b> of every namespace but {@code sys} and {@code sys.leases} (the keyring is sealed by
 *       the root key; usage counters, job state and leases carry no authority): the value is prefixed with
 *       a 56-byte envelope {@code "AVM" 1 | keyId | basedOn | writtenAt | mac}, the MAC binding namespace,
 *       key, basedOn, writtenAt and the value.</li>
 * </ul>
 * MACs are HMAC-SHA256 under {@link Barrier#integrityKey} of the active data key, named by its id, so
 * keyring rotation keeps older MACs verifiable ({@link #rewriteStale} moves them before a key is removed).
 * {@code basedOn} is the revision the write expected (0 for a create): it makes every write's MAC
 * distinct, and {@link ReplayGuard} uses MACs and revisions to catch a row put back with its old MAC.
 *
 * <p>Rows written before this layer existed carry no MAC: they are accepted until {@link #upgrade} has
 * MAC'd every row once and written its marker ({@code sys/integrity}); from then on a row without a MAC
 * is refused like a wrong one. Thread-safe.
 *
 * <p>This class routes and guards: the check of one row is {@link RowChecks}', the check of listed rows (with
 * its memo of rows checked lately) {@link ListingChecks}', the MACs written {@link RowMacs}' and replays are
 * caught by the {@link ReplayGuard}.
 */
public class IntegrityStorage implements StorageBackend {
    /** The attribute (secret metadata) and label (identities) holding the MAC. */
    public static final String FIELD = "_mac";
    static final String SYS = "sys";
    static final String MARKER = "integrity";
    static final byte[] MAGIC = {'A', 'V', 'M', 1};
    static final int ENVELOPE = 4 + 4 + 8 + 8 + IntegrityMacs.MAC_BYTES;

    record IdentityItem(String org, String id) {
    }

    record RecordItem(String namespace, String key) {
    }

    /** What was refused: the kind of row and its names (never a value). */
    public record Violation(String kind, String organizationId, String identityId, String key, String reason) {
    }

    private final StorageBackend delegate;
    private final IntegrityMacs macs;
    private final RowMacs rows;
    private final List<String> namespaces;
    private final ReplayGuard guard = new ReplayGuard();
    private final RowChecks checks;
    private final ListingChecks listings;
    /**
     * Whether secret metadata is legitimately edited outside the vault, so its MAC is written but not
     * checked: a {@link Protection#NATIVE} backend (Vaultwarden) lets people change a value, labels or
     * attributes in the Bitwarden apps (a supported path, docs/vaultwarden.md), and protects the item with
     * its own authenticated encryption. Core records and identities stay checked.
     */
    private final boolean secretsEditedOutside;

    IntegrityStorage(StorageBackend delegate, Barrier barrier, List<String> namespaces) {
        this.delegate = delegate;
        this.secretsEditedOutside = delegate.protection() == Protection.NATIVE;
        this.macs = new IntegrityMacs(barrier);
        this.rows = new RowMacs(macs);
        this.namespaces = List.copyOf(namespaces);
        this.checks = new RowChecks(macs, secretsEditedOutside);
        this.listings = new ListingChecks(checks);
    }

    /**
     * Wraps {@code delegate} (keeping {@link ChangeNotifying} visible when it has it) and reads the upgrade
     * marker.
     *
     * @param namespaces core's record namespaces, which {@link #upgrade} and {@link #rewriteStale} walk
     */
    public static IntegrityStorage wrap(StorageBackend delegate, Barrier barrier, List<String> namespaces) {
        IntegrityStorage s = delegate instanceof ChangeNotifying n
                ? new Notifying(delegate, n, barrier, namespaces) : new IntegrityStorage(delegate, barrier, namespaces);
        s.checks.strict(s.markerPresent());
        return s;
    }

    /** Where refusals are reported (the audit), set once the audit broker exists. */
    public void onViolation(Consumer<Violation> listener) {
        checks.onViolation(listener);
    }

    /** The backend underneath (the keyring, its usage counters and tools that copy rows raw use it). */
    public StorageBackend delegate() {
        return delegate;
    }

    IntegrityMacs macs() {
        return macs;
    }

    List<String> namespaces() {
        return namespaces;
    }

    /** Whether rows without a MAC are refused. */
    public boolean strict() {
        return checks.strict();
    }

    // ---------------------------------------------------------------- MAC'ing

    static boolean covered(String namespace) {
        return !namespace.equals(SYS) && !namespace.equals(LEASE_NAMESPACE);
    }

    // ---------------------------------------------------------------- checking (RowChecks, ListingChecks)

    SecretMetadata verified(SecretMetadata m) {
        return checks.verified(m);
    }

    Identity verified(Identity i) {
        return checks.verified(i);
    }

    StoredRecord verified(StoredRecord r) {
        return checks.verified(r);
    }

    /**
     * Checks metadata read at the item's latest: MAC and replay, the replay against what the guard knew
     * before the read ({@code before}, {@code retiredUpTo}, taken before it went to storage); null when it
     * must be read again.
     */
    private SecretMetadata verifiedLatest(SecretMetadata m, ReplayGuard.Seen before, long retiredUpTo,
                                          boolean lastTry) {
        FieldMac f = FieldMac.parse(m.attributes().get(FIELD));
        checks.verified(m, f);
        if (f == null || secretsEditedOutside) {
            return m; // legacy, before the upgrade finished; or edited in the backend's own apps
        }
        SecretRef r = m.ref();
        if (guard.suspect(m.revision(), f.tag(), before, retiredUpTo)) {
            if (!lastTry) {
                return null;
            }
            throw checks.refuse("secret metadata", r.organizationId(), r.identityId(), r.key(),
                    "an older row was put back (replay)");
        }
        guard.sawRead(r, m.revision(), f.tag(), before);
        return m;
    }

    // ---------------------------------------------------------------- identities

    @Override
    public Protection protection() {
        return delegate.protection();
    }

    @Override
    public Identity createIdentity(Identity identity) {
        return verified(delegate.createIdentity(rows.macd(identity, 0)));
    }

    @Override
    public Optional<Identity> getIdentity(String organizationId, String identityId) {
        return delegate.getIdentity(organizationId, identityId).map(this::verified);
    }

    @Override
    public Identity updateIdentity(Identity identity, long expectedRevision) {
        return verified(delegate.updateIdentity(rows.macd(identity, expectedRevision), expectedRevision));
    }

    @Override
    public void deleteIdentity(String organizationId, String identityId, long expectedRevision) {
        delegate.deleteIdentity(organizationId, identityId, expectedRevision);
        guard.identityDeleted(organizationId, identityId);
    }

    @Override
    public Page<Identity> listIdentities(String organizationId, PageRequest page) {
        return listings.identities(delegate.listIdentities(organizationId, page));
    }

    // ---------------------------------------------------------------- secrets

    private void sawWrite(SecretMetadata stored) {
        FieldMac f = FieldMac.parse(stored.attributes().get(FIELD));
        if (f != null) {
            guard.wrote(stored.ref(), stored.revision(), f.tag());
        }
    }

    @Override
    public SecretMetadata createSecret(SecretMetadata metadata, SecretVersion firstVersion) {
        SecretMetadata stored = delegate.createSecret(rows.macd(metadata, 0), firstVersion);
        sawWrite(stored);
        return stored;
    }

    @Override
    public Optional<StoredSecret> readSecret(SecretRef ref, OptionalInt version) {
        // what the replay guard knew before the read: what it learns while the read runs is a race
        ReplayGuard.Seen before = guard.before(ref);
        long retiredUpTo = guard.retiredSoFar();
        Optional<StoredSecret> s = delegate.readSecret(ref, version);
        if (s.isEmpty() || verifiedLatest(s.get().metadata(), before, retiredUpTo, false) != null) {
            return s;
        }
        ReplayGuard.Seen again = guard.before(ref);
        long retiredAgain = guard.retiredSoFar();
        s = delegate.readSecret(ref, version); // a replay, or storage slow to show a write: once more
        s.ifPresent(x -> verifiedLatest(x.metadata(), again, retiredAgain, true));
        return s;
    }

    @Override
    public Optional<SecretMetadata> getSecretMetadata(SecretRef ref) {
        ReplayGuard.Seen before = guard.before(ref);
        long retiredUpTo = guard.retiredSoFar();
        Optional<SecretMetadata> m = delegate.getSecretMetadata(ref);
        if (m.isEmpty() || verifiedLatest(m.get(), before, retiredUpTo, false) != null) {
            return m;
        }
        ReplayGuard.Seen again = guard.before(ref);
        long retiredAgain = guard.retiredSoFar();
        m = delegate.getSecretMetadata(ref);
        m.ifPresent(x -> verifiedLatest(x, again, retiredAgain, true));
        return m;
    }

    @Override
    public SecretMetadata addVersion(SecretMetadata metadata, long expectedRevision, SecretVersion newVersion) {
        SecretMetadata stored = delegate.addVersion(rows.macd(metadata, expectedRevision), expectedRevision, newVersion);
        sawWrite(stored);
        return stored;
    }

    @Override
    public SecretMetadata updateSecretMetadata(SecretMetadata metadata, long expectedRevision) {
        SecretMetadata stored = delegate.updateSecretMetadata(rows.macd(metadata, expectedRevision), expectedRevision);
        sawWrite(stored);
        return stored;
    }

    @Override
    public List<SecretVersion> listVersions(SecretRef ref) {
        return delegate.listVersions(ref); // values are sealed with AAD by the barrier
    }

    @Override
    public boolean replaceVersionValue(SecretRef ref, int version, byte[] expected, byte[] replacement) {
        return delegate.replaceVersionValue(ref, version, expected, replacement);
    }

    @Override
    public boolean destroyVersion(SecretRef ref, int version) {
        // a version's value is sealed with its ref and number as AAD and carries no MAC of its own; the
        // metadata that records the destruction (destroyedBelow) is written, and MACed, through this class
        return delegate.destroyVersion(ref, version);
    }

    @Override
    public void deleteSecret(SecretRef ref, long expectedRevision) {
        delegate.deleteSecret(ref, expectedRevision);
        guard.deleted(ref);
    }

    @Override
    public Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        return listings.secrets(delegate.listSecrets(organizationId, identityId, page));
    }

    // ---------------------------------------------------------------- records

    @Override
    public Optional<StoredRecord> getRecord(String namespace, String key) {
        if (!covered(namespace)) {
            return delegate.getRecord(namespace, key);
        }
        RecordItem item = new RecordItem(namespace, key);
        // what the replay guard knew before the read: what it learns while the read runs is a race
        ReplayGuard.Seen before = guard.before(item);
        long retiredUpTo = guard.retiredSoFar();
        Optional<StoredRecord> raw = delegate.getRecord(namespace, key);
        if (raw.isEmpty()) {
            return raw;
        }
        StoredRecord r = verified(raw.get());
        long tag = RowChecks.tagOf(raw.get());
        if (tag != 0 && guard.suspect(raw.get().revision(), tag, before, retiredUpTo)) {
            before = guard.before(item);
            retiredUpTo = guard.retiredSoFar();
            raw = delegate.getRecord(namespace, key); // a replay, or storage slow to show a write: once more
            if (raw.isEmpty()) {
                return raw;
            }
            r = verified(raw.get());
            tag = RowChecks.tagOf(raw.get());
            if (tag != 0 && guard.suspect(raw.get().revision(), tag, before, retiredUpTo)) {
                throw checks.refuse("record", null, null, namespace + "/" + key, "an older row was put back (replay)");
            }
        }
        if (tag != 0) {
            guard.sawRead(item, raw.get().revision(), tag, before);
        }
        return Optional.of(r);
    }

    @Override
    public StoredRecord putRecord(String namespace, String key, byte[] value, long expectedRevision) {
        if (!covered(namespace)) {
            return delegate.putRecord(namespace, key, value, expectedRevision);
        }
        byte[] sealed = rows.macd(namespace, key, value, expectedRevision);
        StoredRecord stored = delegate.putRecord(namespace, key, sealed, expectedRevision);
        guard.wrote(new RecordItem(namespace, key), stored.revision(), Bytes.getLong(sealed, 24));
        return new StoredRecord(namespace, key, value, stored.revision(), stored.updatedAt());
    }

    @Override
    public void deleteRecord(String namespace, String key, long expectedRevision) {
        delegate.deleteRecord(namespace, key, expectedRevision);
        if (covered(namespace)) {
            guard.deleted(new RecordItem(namespace, key));
        }
    }

    @Override
    public Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        Page<StoredRecord> p = delegate.listRecords(namespace, page);
        if (!covered(namespace)) {
            return p;
        }
        return new Page<>(p.items().stream().map(this::verified).toList(), p.nextCursor());
    }

    // ---------------------------------------------------------------- leases, health, close: the backend's

    @Override
    public Optional<Lease> tryAcquireLease(String name, String owner, Duration ttl) {
        return delegate.tryAcquireLease(name, owner, ttl);
    }

    @Override
    public Optional<Lease> renewLease(Lease lease, Duration ttl) {
        return delegate.renewLease(lease, ttl);
    }

    @Override
    public void releaseLease(Lease lease) {
        delegate.releaseLease(lease);
    }

    @Override
    public void probe() {
        delegate.probe();
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Tells the replay guard about a change committed by any node (subscribed by the node). */
    public void changed(StorageChange change) {
        guard.changed(change);
    }

    // ---------------------------------------------------------------- upgrade and re-MAC

    private boolean markerPresent() {
        Optional<StoredRecord> m = delegate.getRecord(SYS, MARKER);
        if (m.isEmpty()) {
            return false;
        }
        return true; // even when damaged or forged: refusing rows without MAC is the safe side
    }

    /**
     * The one-time upgrade of rows written before this layer: MACs every row of core's namespaces, every
     * identity and every secret's metadata that has no MAC (or one under a data key no longer active), then
     * writes the marker {@code sys/integrity}; from then on rows without a MAC are refused. Does nothing
     * when the marker is there. Idempotent and safe to run on several nodes at once (conditional writes; a
     * conflict means another writer MAC'd the row).
     *
     * @return the rows rewritten
     */
    public long upgrade() {
        if (checks.strict()) {
            return 0;
        }
        long n = rewriteStale();
        try {
            delegate.putRecord(SYS, MARKER, rows.macd(SYS, MARKER, "v1".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0), 0);
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        }
        checks.strict(true);
        return n;
    }

    /**
     * Re-MACs, under the active data key, every row whose MAC is missing or made under another key (before
     * the keyring re-encryption removes old data keys). A row that fails its check is left as it is (reads
     * keep refusing it). Walks core's namespaces and every organization's identities and secrets. Forgets the
     * listed rows remembered as checked (their MACs may name a key about to go).
     *
     * @return the rows rewritten
     */
    public long rewriteStale() {
        try {
            return new IntegrityRewrite(this).run();
        } finally {
            listings.clear();
        }
    }

    @Override
    public String toString() {
        return "IntegrityStorage[" + delegate + "]";
    }

    /** The wrapper of a backend that notifies changes: stays visible to {@code instanceof ChangeNotifying}. */
    static final class Notifying extends IntegrityStorage implements ChangeNotifying {
        private final ChangeNotifying notifying;

        Notifying(StorageBackend delegate, ChangeNotifying notifying, Barrier barrier, List<String> namespaces) {
            super(delegate, barrier, namespaces);
            this.notifying = notifying;
        }

        @Override
        public AutoCloseable subscribe(Consumer<StorageChange> listener) {
            return notifying.subscribe(listener);
        }

        @Override
        public Duration fallbackBound() {
            return notifying.fallbackBound();
        }
    }
}
