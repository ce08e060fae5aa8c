package dev.animavault.core.backup;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A consistency check of a whole store: every organization's identities, every secret's versions
 * numbered 1..n without gaps with the current one among them, every version opened by the barrier
 * (so every ciphertext is intact and belongs to its place), and every record of the given namespaces
 * readable. Used after a restore and by tests; throws {@code INTEGRITY_ERROR} on the first problem.
 */
public final class StoreCheck {

    /** What was checked. */
    public record Result(long identities, long secrets, long versions, long records) {
    }

    private StoreCheck() {
    }

    public static Result check(StorageBackend storage, Barrier barrier, List<String> namespaces) {
        long[] n = new long[4];
        for (String ns : namespaces) {
            forEach(p -> storage.listRecords(ns, p), (StoredRecord r) -> n[3]++);
        }
        forEach(p -> storage.listRecords("orgs", p), org -> forEach(p -> storage.listIdentities(org.key(), p),
                (Identity identity) -> {
                    n[0]++;
                    forEach(p -> storage.listSecrets(identity.organizationId(), identity.id(), p), (SecretMetadata m) -> {
                        n[1]++;
                        List<SecretVersion> versions = storage.listVersions(m.ref());
                        // versions are 1..n, except those a rotation policy destroyed (retiredVersions: destroy)
                        int destroyed = destroyedBelow(m);
                        int expected = 1;
                        for (SecretVersion v : versions) {
                            while (expected < v.version() && (expected < destroyed
                                    || destroysRetired(m) && expected < m.currentVersion())) {
                                expected++;
                            }
                            if (v.version() != expected) {
                                throw broken(m, "versions are not 1.." + versions.size()
                                        + " (apart from destroyed ones)");
                            }
                            byte[] plain = barrier.open(m.ref(), v.version(), v.value());
                            Arrays.fill(plain, (byte) 0);
                            n[2]++;
                            expected++;
                        }
                        int highest = versions.isEmpty() ? 0 : versions.get(versions.size() - 1).version();
                        if (m.currentVersion() > highest) {
                            throw broken(m, "the current version " + m.currentVersion() + " is not stored");
                        }
                    });
                }));
        return new Result(n[0], n[1], n[2], n[3]);
    }

    private static int destroyedBelow(SecretMetadata m) {
        try {
            return Integer.parseInt(m.attributes().getOrDefault(LifecycleAttributes.DESTROYED_BELOW, "1"));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static boolean destroysRetired(SecretMetadata m) {
        return "destroy".equals(m.attributes().get(LifecycleAttributes.RETIRED_VERSIONS));
    }

    private static VaultException broken(SecretMetadata m, String what) {
        return new VaultException(ErrorCode.INTEGRITY_ERROR, "secret " + m.ref().identityId() + "/" + m.ref().key()
                + " of organization " + m.ref().organizationId() + ": " + what);
    }

    private static <T> void forEach(Function<PageRequest, Page<T>> list, Consumer<T> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<T> page = list.apply(new PageRequest(500, cursor));
            page.items().forEach(each);
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }
}
