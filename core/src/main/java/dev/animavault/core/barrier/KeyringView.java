package dev.animavault.core.barrier;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What the keyring holds, without key material ({@code GET /v1/sys/keyring}).
 *
 * @param revision           the keyring record's revision
 * @param activeKey          the data key new values are sealed with
 * @param keys               every data key, oldest first
 * @param activeTokenKey     the token HMAC key version new tokens are hashed with
 * @param tokenKeys          every token key version, newest first
 * @param rotateAtEncryptions the count after which a data key is rotated automatically
 * @param hardLimit          the count past which a data key seals nothing more
 */
public record KeyringView(long revision, int activeKey, List<DataKeyInfo> keys, int activeTokenKey,
                          List<TokenKeyInfo> tokenKeys, long rotateAtEncryptions, long hardLimit) {

    public KeyringView {
        keys = List.copyOf(keys);
        tokenKeys = List.copyOf(tokenKeys);
    }

    /**
     * A data key.
     *
     * @param encryptions encryptions reserved under it across all nodes (an upper bound of those made)
     */
    public record DataKeyInfo(int id, Instant created, long encryptions, boolean active) {
    }

    /** A token HMAC key version; {@code retiresAt} null when it has no deadline. */
    public record TokenKeyInfo(int version, Instant created, Instant retiresAt, boolean active) {
    }

    /** The view of {@code ring}, with the encryptions reserved per data key and the automatic rotation count. */
    static KeyringView of(Keyring ring, Map<Integer, Long> counts, long rotateAt) {
        List<DataKeyInfo> keys = ring.dataKeys.values().stream()
                .sorted(Comparator.comparingInt(Keyring.DataKey::id))
                .map(k -> new DataKeyInfo(k.id(), k.created(), counts.getOrDefault(k.id(), 0L), k.id() == ring.active))
                .toList();
        List<TokenKeyInfo> tokens = ring.tokenKeys.stream()
                .map(t -> new TokenKeyInfo(t.version(), t.created(), t.retiresAt(),
                        t.version() == ring.activeTokenKey().version()))
                .toList();
        return new KeyringView(ring.revision, ring.active, keys, ring.activeTokenKey().version(), tokens, rotateAt,
                KeyUsage.HARD_LIMIT);
    }

    /** The active data key. */
    public DataKeyInfo active() {
        return keys.stream().filter(DataKeyInfo::active).findFirst().orElseThrow();
    }
}
