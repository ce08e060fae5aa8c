package dev.animavault.core.barrier;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * Changes of the keyring record for {@link Barrier}: an edit of the keyring in use, written back conditionally on
 * the record's revision and retried when another node changed it first; and the edits that remove keys.
 */
final class KeyringChanges {
    private KeyringChanges() {
    }

    /**
     * Applies {@code edit} (the new plaintext, or null for "nothing to do") to the barrier's keyring, stored
     * through {@code store}; retried on a concurrent change.
     *
     * @return the keyring afterwards
     */
    static Keyring apply(Barrier barrier, KeyringStore store, Function<Keyring, byte[]> edit) {
        for (int attempt = 0; attempt < 5; attempt++) {
            barrier.refresh();
            Keyring ring = barrier.ring();
            byte[] plain = edit.apply(ring);
            if (plain == null) {
                return ring;
            }
            try {
                store.rewrap(plain, ring.revision);
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
                continue; // another node changed it first: look again
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
            barrier.refresh();
            return barrier.ring();
        }
        throw new VaultException(ErrorCode.REVISION_CONFLICT, "the keyring kept changing; try again");
    }

    /** {@code ring} without those of data keys {@code ids} it holds, never the active one; null if none. */
    static byte[] withoutDataKeys(Keyring ring, Set<Integer> ids) {
        Set<Integer> present = new HashSet<>(ids);
        present.retainAll(ring.dataKeys.keySet());
        present.remove(ring.active);
        return present.isEmpty() ? null : ring.withoutDataKeys(present);
    }

    /** {@code ring} without those of token key {@code versions} it holds, never the active one; null if none. */
    static byte[] withoutTokenKeys(Keyring ring, Set<Integer> versions) {
        Set<Integer> present = new HashSet<>(versions);
        present.retainAll(ring.tokenKeys.stream().map(Keyring.TokenKey::version).toList());
        present.remove(ring.activeTokenKey().version());
        return present.isEmpty() ? null : ring.withoutTokenKeys(present);
    }
}
