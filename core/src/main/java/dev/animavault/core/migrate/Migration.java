package dev.animavault.core.migrate;

import static java.util.Objects.requireNonNull;

import dev.animavault.core.cli.Progress;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.Protection;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Copies a vault from one storage backend to another: core's records (keyring, organizations, tokens,
 * and any namespace named), every organization's identities, and every secret with all its versions
 * and metadata (labels, attributes: rotation and other policies live there), then verifies.
 *
 * <p><b>Values.</b> The vault's keyring is one of the copied records, so with the same root key the
 * target opens exactly what the source sealed (the barrier's AAD binds organization, identity, key and
 * version, which the copy keeps). Between two backends of the same {@link Protection} values move as
 * stored (ciphertext between {@code NONE} backends, nothing decrypted except by the verify pass); between
 * a {@code NONE} and a {@code NATIVE} backend (Vaultwarden) each value is opened through the source's
 * path and stored through the target's ({@link ValueTransfer}), in memory only. A target that already
 * holds another keyring is refused.
 *
 * <p><b>Resumable and idempotent.</b> Every item is compared with what the target holds: equal is
 * skipped, missing is created, a missing tail of versions is added, different metadata is replaced. A
 * run killed halfway is simply run again; nothing is duplicated (creates are conditional). Versions
 * already in the target that differ from the source's are a conflict and stop the run. Items only in
 * the target are left alone. Revisions are the target's own (they restart at 1), as are records'
 * {@code updatedAt}.
 *
 * <p>Not thread-safe; one run at a time. The target should not be served while it is filled.
 */
final class Migration {

    /** Record namespaces core keeps (the keyring first: nothing opens without it). */
    static final List<String> CORE_NAMESPACES = List.of("sys", "orgs", "tokens",
            // the rotation engine's (core.rotation): webhook signing secrets, the due schedule, delivery logs.
            // Not copied: "credential-cache" (derived access tokens, refetched) and "sys.leases" (transient).
            "rotation-signing", "rotation-schedule", "rotation-deliveries", "rotation-retire");
    static final String ORGS = "orgs";
    /**
     * The barrier's durable count of encryptions per data key ({@code KeyUsage}): when values are sealed
     * for the target its barrier adds its own encryptions to the copied count, so an existing target
     * count is kept (it is at least the source's) rather than overwritten, and not compared.
     */
    static final String KEY_USAGE = "keyring-usage";
    private static final int PAGE = 500;

    private final StorageBackend from;
    private final StorageBackend to;
    private final List<String> namespaces;
    private final PrintStream progress;
    private final Progress.Mode progressMode;
    private final ValueTransfer values;
    private final Stats stats = new Stats();
    private Progress bar;

    /** What a run did. */
    public static final class Stats {
        long records;
        long recordsCopied;
        long organizations;
        long identities;
        long identitiesCopied;
        long secrets;
        long secretsCopied;
        long versions;
        long versionsCopied;
        long verified;
        final List<String> organizationIds = new ArrayList<>();

        public long secrets() {
            return secrets;
        }

        public long versions() {
            return versions;
        }

        public long versionsCopied() {
            return versionsCopied;
        }

        public long verified() {
            return verified;
        }

        @Override
        public String toString() {
            return "records " + recordsCopied + "/" + records + " copied, organizations " + organizations
                    + ", identities " + identitiesCopied + "/" + identities + " copied, secrets " + secretsCopied
                    + "/" + secrets + " changed, versions " + versionsCopied + "/" + versions + " copied, "
                    + verified + " versions verified";
        }
    }

    Migration(StorageBackend from, StorageBackend to, ValueTransfer values, List<String> extraNamespaces,
              PrintStream progress, Progress.Mode progressMode) {
        this.from = requireNonNull(from, "from is null");
        this.to = requireNonNull(to, "to is null");
        this.values = requireNonNull(values, "values is null");
        this.progressMode = requireNonNull(progressMode, "progressMode is null");
        List<String> ns = new ArrayList<>(CORE_NAMESPACES);
        extraNamespaces.stream().filter(n -> !ns.contains(n)).forEach(ns::add);
        this.namespaces = List.copyOf(ns);
        this.progress = requireNonNull(progress, "progress is null");
    }

    Stats stats() {
        return stats;
    }

    /** Copies everything (see the class comment). */
    Stats copy() {
        checkKeyring();
        progress.println(values.describe());
        for (String ns : namespaces) {
            forEach(p -> from.listRecords(ns, p), r -> copyRecord(ns, r));
        }
        long[] total = new long[1];
        forEach(p -> from.listRecords(ORGS, p), org -> forEach(p -> from.listIdentities(org.key(), p),
                identity -> forEach(p -> from.listSecrets(identity.organizationId(), identity.id(), p),
                        m -> total[0]++)));
        bar = new Progress(progress, progressMode, "secrets", total[0]);
        forEach(p -> from.listRecords(ORGS, p), org -> {
            stats.organizations++;
            stats.organizationIds.add(org.key());
            forEach(p -> from.listIdentities(org.key(), p), this::copyIdentity);
        });
        bar.finish();
        progress.printf("copied: %s%n", stats);
        return stats;
    }

    /**
     * Reads every version of every source secret back through the target: byte-equal ciphertext, and
     * opened by the target's keyring (which proves the root key and the keyring made it across).
     */
    Stats verify() {
        Progress check = new Progress(progress, progressMode, "verify (versions)", stats.versions);
        for (String ns : namespaces) {
            forEach(p -> from.listRecords(ns, p), r -> {
                if (targetCountsItsOwn(ns, r.key())) {
                    return;
                }
                Optional<StoredRecord> t = to.getRecord(ns, r.key());
                if (t.isEmpty() || !Arrays.equals(t.get().value(), r.value())) {
                    throw mismatch("record " + ns + "/" + r.key());
                }
            });
        }
        forEach(p -> from.listRecords(ORGS, p), org -> forEach(p -> from.listIdentities(org.key(), p), identity -> {
            Identity t = to.getIdentity(identity.organizationId(), identity.id())
                    .orElseThrow(() -> mismatch("identity " + identity.id()));
            if (!sameIdentity(identity, t)) {
                throw mismatch("identity " + identity.id());
            }
            forEach(p -> from.listSecrets(identity.organizationId(), identity.id(), p), m -> {
                SecretMetadata tm = to.getSecretMetadata(m.ref()).orElseThrow(() -> mismatch("secret " + m.ref().key()));
                if (!sameMetadata(m, tm)) {
                    throw mismatch("metadata of secret " + m.ref().key());
                }
                for (SecretVersion v : from.listVersions(m.ref())) {
                    SecretVersion tv = to.readSecret(m.ref(), OptionalInt.of(v.version()))
                            .orElseThrow(() -> mismatch("version " + v.version() + " of " + m.ref().key()))
                            .version();
                    if (!values.same(v, tv)) {
                        throw mismatch("version " + v.version() + " of " + m.ref().key());
                    }
                    values.openInTarget(tv);
                    stats.verified++;
                    check.advance(1);
                }
            });
        }));
        check.finish();
        progress.printf("verified: %d versions read back through the target, equal to the source's%n",
                stats.verified);
        return stats;
    }

    private void checkKeyring() {
        Optional<StoredRecord> source = from.getRecord("sys", "keyring");
        Optional<StoredRecord> target = to.getRecord("sys", "keyring");
        if (source.isPresent() && target.isPresent() && !Arrays.equals(source.get().value(), target.get().value())) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the target store already has a keyring of its own (a "
                    + "vault was started on it): its secrets could not be opened with the source's keyring. "
                    + "Migrate into an empty store");
        }
    }

    private void copyRecord(String ns, StoredRecord r) {
        stats.records++;
        Optional<StoredRecord> t = to.getRecord(ns, r.key());
        if (t.isEmpty()) {
            to.putRecord(ns, r.key(), r.value(), 0);
            stats.recordsCopied++;
        } else if (!Arrays.equals(t.get().value(), r.value()) && !targetCountsItsOwn(ns, r.key())) {
            to.putRecord(ns, r.key(), r.value(), t.get().revision());
            stats.recordsCopied++;
        }
    }

    private boolean targetCountsItsOwn(String ns, String key) {
        return !values.asIs() && ns.equals("sys") && key.equals(KEY_USAGE);
    }

    private void copyIdentity(Identity identity) {
        stats.identities++;
        Optional<Identity> t = to.getIdentity(identity.organizationId(), identity.id());
        if (t.isEmpty()) {
            to.createIdentity(identity);
            stats.identitiesCopied++;
        } else if (!sameIdentity(identity, t.get())) {
            to.updateIdentity(identity, t.get().revision());
            stats.identitiesCopied++;
        }
        forEach(p -> from.listSecrets(identity.organizationId(), identity.id(), p), this::copySecret);
    }

    private void copySecret(SecretMetadata m) {
        stats.secrets++;
        SecretRef ref = m.ref();
        List<SecretVersion> versions = from.listVersions(ref);
        if (versions.isEmpty()) {
            bar.advance(1);
            return; // deleted since it was listed
        }
        stats.versions += versions.size();
        boolean changed = false;
        Optional<SecretMetadata> t = to.getSecretMetadata(ref);
        SecretMetadata target;
        int have;
        if (t.isEmpty()) {
            SecretVersion first = versions.get(0);
            target = to.createSecret(withCurrent(m, first.version()), values.forTarget(first));
            have = 1;
            stats.versionsCopied++;
            changed = true;
        } else {
            target = t.get();
            List<SecretVersion> existing = to.listVersions(ref);
            for (int i = 0; i < existing.size(); i++) {
                if (i >= versions.size() || !values.same(versions.get(i), existing.get(i))) {
                    throw new VaultException(ErrorCode.REVISION_CONFLICT, "secret " + ref.identityId() + "/"
                            + ref.key() + " of organization " + ref.organizationId() + ": the target holds version "
                            + existing.get(i).version() + " and it differs from the source's; resolve by hand");
                }
            }
            have = existing.size();
        }
        for (int i = have; i < versions.size(); i++) {
            SecretVersion v = versions.get(i);
            // the pointer may not run ahead of the stored versions; the exact metadata is set after the last
            target = to.addVersion(withCurrent(m, Math.min(m.currentVersion(), v.version())), target.revision(),
                    values.forTarget(v));
            stats.versionsCopied++;
            changed = true;
        }
        if (!sameMetadata(m, target)) {
            to.updateSecretMetadata(m, target.revision());
            changed = true;
        }
        if (changed) {
            stats.secretsCopied++;
        }
        bar.advance(1);
    }

    private static SecretMetadata withCurrent(SecretMetadata m, int current) {
        return new SecretMetadata(m.ref(), m.type(), current, m.metadata(), m.attributes(), m.createdAt(),
                m.updatedAt(), m.revision());
    }

    static boolean sameIdentity(Identity a, Identity b) {
        return a.name().equals(b.name()) && a.metadata().equals(b.metadata()) && a.disabled() == b.disabled()
                && a.createdAt().equals(b.createdAt()) && a.updatedAt().equals(b.updatedAt());
    }

    static boolean sameMetadata(SecretMetadata a, SecretMetadata b) {
        return a.type().equals(b.type()) && a.currentVersion() == b.currentVersion()
                && a.metadata().equals(b.metadata()) && a.attributes().equals(b.attributes())
                && a.createdAt().equals(b.createdAt()) && a.updatedAt().equals(b.updatedAt());
    }

    private static VaultException mismatch(String what) {
        return new VaultException(ErrorCode.INTEGRITY_ERROR, "verify: the target's " + what
                + " is missing or differs from the source's");
    }

    private static <T> void forEach(Function<PageRequest, Page<T>> list, Consumer<T> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<T> page = list.apply(new PageRequest(PAGE, cursor));
            page.items().forEach(each);
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }
}
