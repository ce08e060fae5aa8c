package dev.animavault.core.barrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The keyring record {@code sys/keyring} and the root key that wraps it. Two layouts:
 * <ul>
 *   <li>format 1 (before root key providers): {@code 0x01 | nonce | ciphertext+tag}, AES-GCM under the key
 *       file's key; no name of the key.</li>
 *   <li>format 2: JSON {@code {"format":2, "rootKey":{"type","keyId","config"}, "deploymentId", "rotatedAt",
 *       "wrapped"}}: the provider type and key id that wrap it, the deployment's id (stable across root key
 *       rotations), and the provider's wrapping. The AAD binds format, type, key id and deployment id, so
 *       none of them can be edited in storage without the keyring failing to open.</li>
 * </ul>
 * A rotation rewrites the record with a conditional write on the revision it read: of two nodes rotating
 * at once, one wins and the other gets {@code REVISION_CONFLICT} (and destroys the key it made).
 *
 * <p>Thread-safe: rotations are serialized per process; reads may run beside them.
 */
public final class KeyringStore {
    private static final System.Logger LOG = System.getLogger(KeyringStore.class.getName());
    static final String NAMESPACE = Barrier.NAMESPACE;
    static final String KEY = Barrier.KEYRING;
    private static final byte LEGACY = 1;
    private static final byte[] LEGACY_AAD = "anima-vault/keyring/v1".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the keyring record says about its root key (no secret).
     *
     * @param format       1 or 2
     * @param type         the provider type; for format 1 the type this node opened it with
     * @param keyId        the key id; for format 1 the id of the key that opened it
     * @param config       the provider configuration recorded by the last rotation (empty for format 1 and
     *                     for keyrings created at first start, which use the node's own configuration)
     * @param deploymentId the deployment's id
     * @param rotatedAt    when the root key last changed, or null
     * @param revision     the record's revision
     */
    public record State(int format, String type, String keyId, Map<String, String> config, String deploymentId,
                        Instant rotatedAt, long revision) {
        public State {
            config = Map.copyOf(config);
        }
    }

    /** The provider this node wraps and unwraps with, and its configured type and configuration. */
    private record Active(RootKeyProvider provider, String type, Map<String, String> config) {
    }

    private final StorageBackend storage;
    private volatile Active active;
    private volatile State state;

    /**
     * @param storage  where the keyring record lives
     * @param provider this node's root key provider (closed by whoever created it, or by a rotation that
     *                 replaces it)
     * @param type     its type name ({@code vault.root-key.type})
     * @param config   its configuration (recorded in the keyring only by a rotation)
     */
    public KeyringStore(StorageBackend storage, RootKeyProvider provider, String type, Map<String, String> config) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.active = new Active(Objects.requireNonNull(provider, "provider is null"), type, Map.copyOf(config));
    }

    /** This node's root key provider now (a rotation to another provider replaces it). */
    public RootKeyProvider provider() {
        return active.provider();
    }

    /** Its type. */
    public String providerType() {
        return active.type();
    }

    /** What the record said when this node last opened it; null before the first open. */
    public State state() {
        return state;
    }

    /**
     * Opens the keyring, creating it with {@code fresh()} when storage holds none. Returns the keyring's
     * plaintext JSON (the caller wipes it).
     */
    byte[] openOrCreate(Supplier<byte[]> fresh, Instant now) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<StoredRecord> existing = storage.getRecord(NAMESPACE, KEY);
            if (existing.isPresent()) {
                return open(existing.get());
            }
            Active a = active;
            Optional<String> current = a.provider().currentKey();
            String keyId = current.orElseGet(() -> a.provider().newKey());
            String deployment = a.provider() instanceof LegacyDeploymentIds legacy
                    ? legacy.legacyDeploymentId(keyId) : randomDeploymentId();
            byte[] plain = fresh.get();
            try {
                byte[] record = encode(a.type(), keyId, Map.of(), deployment, null,
                        a.provider().wrap(keyId, plain, aad(a.type(), keyId, deployment)));
                StoredRecord stored = storage.putRecord(NAMESPACE, KEY, record, 0);
                a.provider().keyInUse(keyId);
                state = new State(2, a.type(), keyId, Map.of(), deployment, null, stored.revision());
                return plain.clone();
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                    throw e;
                }
                // another node created it at the same moment: read theirs
                if (current.isEmpty()) {
                    a.provider().destroyKey(keyId);
                }
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }
        throw new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "could not create or read the keyring");
    }

    /** Opens the keyring already in storage, never creating one; empty when there is none. */
    Optional<byte[]> openExisting() {
        return storage.getRecord(NAMESPACE, KEY).map(this::open);
    }

    /**
     * Reads the record again and opens it with this node's provider (after a change another node made),
     * returning the plaintext keyring (the caller wipes it).
     *
     * @throws VaultException {@code CONFIGURATION} when this node's root key does not open it
     */
    public byte[] reopen() {
        return openExisting().orElseThrow(() -> new VaultException(ErrorCode.INTEGRITY_ERROR,
                "the keyring record is gone from storage"));
    }

    /**
     * Writes a changed keyring plaintext (the keyring layer's data-key or token-key rotation), wrapped by the
     * root key the record already names, conditional on {@code expectedRevision}; a format-1 record becomes
     * format 2 with its deployment id. The record's root key part does not change.
     *
     * @return the stored record
     * @throws VaultException {@code REVISION_CONFLICT} when the record changed since {@code expectedRevision}
     *                        (another node rotated a data key or the root key); {@code CONFIGURATION} when the
     *                        record names a root key provider other than this node's
     */
    synchronized StoredRecord rewrap(byte[] plain, long expectedRevision) {
        Active a = active;
        StoredRecord record = storage.getRecord(NAMESPACE, KEY).orElseThrow(() -> new VaultException(
                ErrorCode.NOT_FOUND, "the keyring record is gone from storage"));
        if (record.revision() != expectedRevision) {
            throw new VaultException(ErrorCode.REVISION_CONFLICT, "the keyring changed meanwhile");
        }
        State cur = parse(record, a);
        if (!cur.type().equals(a.type())) {
            throw new VaultException(ErrorCode.CONFIGURATION, "the keyring is wrapped by a root key of provider '"
                    + cur.type() + "', but this node's vault.root-key.type is '" + a.type() + "'");
        }
        byte[] value = encode(cur.type(), cur.keyId(), cur.config(), cur.deploymentId(), cur.rotatedAt(),
                a.provider().wrap(cur.keyId(), plain, aad(cur.type(), cur.keyId(), cur.deploymentId())));
        StoredRecord stored = storage.putRecord(NAMESPACE, KEY, value, expectedRevision);
        state = new State(2, cur.type(), cur.keyId(), cur.config(), cur.deploymentId(), cur.rotatedAt(),
                stored.revision());
        return stored;
    }

    /** Where the keyring record lives. */
    StorageBackend storage() {
        return storage;
    }

    /** Reads what the record says about its root key, without opening it. */
    public Optional<State> peek() {
        return storage.getRecord(NAMESPACE, KEY).map(r -> parse(r, null));
    }

    private byte[] open(StoredRecord record) {
        Active a = active;
        State s = parse(record, a);
        byte[] plain;
        try {
            plain = s.format() == LEGACY
                    ? a.provider().unwrap(s.keyId(), Arrays.copyOfRange(record.value(), 1, record.value().length), LEGACY_AAD)
                    : a.provider().unwrap(s.keyId(), wrapped(record), aad(s.type(), s.keyId(), s.deploymentId()));
        } catch (VaultException e) {
            if (!s.type().equals(a.type())) {
                // the names differ only in what they say (tools open with the key file whatever the type)
                throw new VaultException(ErrorCode.CONFIGURATION, "the keyring is wrapped by a root key of provider '"
                        + s.type() + "' (key " + s.keyId() + "), but this node's vault.root-key.type is '" + a.type()
                        + "' and its key does not open it: configure the provider the last root key rotation named ("
                        + e.getMessage() + ")");
            }
            if (e.errorCode() == ErrorCode.INTEGRITY_ERROR) {
                throw new VaultException(ErrorCode.CONFIGURATION, "the root key (" + a.provider().describe()
                        + ") does not open the keyring in storage: wrong root key for this data");
            }
            throw e;
        }
        a.provider().keyInUse(s.keyId());
        state = s;
        return plain;
    }

    /**
     * Re-wraps the keyring under a new key of {@code target} (this node's provider, or another one named by
     * the rotation), with a conditional write; then makes the new key the one in use and destroys the old.
     *
     * @param target       the provider of the new key; becomes this node's provider on success
     * @param targetType   its type name
     * @param targetConfig its configuration (recorded in the keyring record)
     * @return the new state
     * @throws VaultException {@code REVISION_CONFLICT} when another node changed the keyring meanwhile;
     *                        {@code INVALID_ARGUMENT} when the provider offers no key other than the one in use
     */
    public synchronized State rotate(RootKeyProvider target, String targetType, Map<String, String> targetConfig,
                                     Instant now) {
        Active old = active;
        StoredRecord record = storage.getRecord(NAMESPACE, KEY).orElseThrow(() -> new VaultException(
                ErrorCode.INTEGRITY_ERROR, "the keyring record is gone from storage"));
        State before = parse(record, old);
        byte[] plain;
        try {
            plain = open(record);
        } catch (VaultException e) {
            // another node may have rotated since the read, destroying the key the record named
            if (storage.getRecord(NAMESPACE, KEY).map(StoredRecord::revision).orElse(-1L) != record.revision()) {
                throw new VaultException(ErrorCode.REVISION_CONFLICT, "the keyring changed while this rotation ran "
                        + "(another node rotated a key); nothing was changed, try again");
            }
            throw e;
        }
        String newId = null;
        boolean adopted = false;
        try {
            newId = target.newKey();
            if (newId.equals(before.keyId()) && targetType.equals(before.type())) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "root key provider '" + targetType + "' offers no "
                        + "key other than the one in use (" + newId + "): point it at a new key");
            }
            byte[] value = encode(targetType, newId, targetConfig, before.deploymentId(), now,
                    target.wrap(newId, plain, aad(targetType, newId, before.deploymentId())));
            StoredRecord stored;
            try {
                stored = storage.putRecord(NAMESPACE, KEY, value, record.revision());
            } catch (VaultException e) {
                if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.NOT_FOUND) {
                    throw new VaultException(ErrorCode.REVISION_CONFLICT, "the keyring changed while this rotation ran "
                            + "(another node rotated a key); nothing was changed, try again");
                }
                throw e;
            }
            adopted = true;
            active = new Active(target, targetType, targetConfig);
            state = new State(2, targetType, newId, targetConfig, before.deploymentId(), now, stored.revision());
            // committed: what follows tidies up, and a failure there must not report the rotation as failed
            try {
                // only while the record still names this key: when another node rotated again meanwhile, it
                // destroys this key (its "old" one), and promoting it here could replace the newer key's file
                if (storage.getRecord(NAMESPACE, KEY).map(StoredRecord::revision).orElse(-1L) == stored.revision()) {
                    target.keyInUse(newId);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "The keyring is wrapped by root key " + newId + ", but making it "
                        + "the key the provider finds failed (retried at the next start): " + e.getMessage());
            }
            try {
                // the old key opens nothing in storage any more: destroy it where the provider can
                old.provider().destroyKey(before.keyId());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "Old root key " + before.keyId() + " opens nothing any more but "
                        + "could not be destroyed; remove it by hand: " + e.getMessage());
            }
            if (old.provider() != target) {
                old.provider().close();
            }
            return state;
        } finally {
            Arrays.fill(plain, (byte) 0);
            if (!adopted && newId != null && target.createsKeys() && !newId.equals(before.keyId())) {
                target.destroyKey(newId);
            }
        }
    }

    private static State parse(StoredRecord record, Active opener) {
        byte[] v = record.value();
        if (v.length > 0 && v[0] == LEGACY) {
            String keyId = opener == null ? "legacy" : opener.provider().currentKey().orElseThrow(() -> new VaultException(
                    ErrorCode.CONFIGURATION, "the root key " + opener.provider().describe() + " is missing, but storage "
                    + "holds a keyring sealed by a root key: restore the key file from its backup (or set "
                    + RootKey.ENV + "); nothing was created"));
            String type = opener == null ? "file" : opener.type();
            String deployment = opener != null && opener.provider() instanceof LegacyDeploymentIds legacy
                    ? legacy.legacyDeploymentId(keyId) : "unknown";
            return new State(1, type, keyId, Map.of(), deployment, null, record.revision());
        }
        try {
            JsonNode root = JSON.readTree(v);
            if (root.path("format").asInt() != 2) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring record has an unknown format");
            }
            JsonNode rk = root.get("rootKey");
            Map<String, String> config = new TreeMap<>();
            rk.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
            String rotated = root.path("rotatedAt").asText(null);
            return new State(2, rk.get("type").asText(), rk.get("keyId").asText(), config,
                    root.get("deploymentId").asText(), rotated == null ? null : Instant.parse(rotated), record.revision());
        } catch (IOException | RuntimeException e) {
            if (e instanceof VaultException ve) {
                throw ve;
            }
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring record is malformed");
        }
    }

    private static byte[] wrapped(StoredRecord record) {
        try {
            return Base64.getDecoder().decode(JSON.readTree(record.value()).get("wrapped").asText());
        } catch (IOException | RuntimeException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring record is malformed");
        }
    }

    private static byte[] encode(String type, String keyId, Map<String, String> config, String deploymentId,
                                 Instant rotatedAt, byte[] wrapped) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 2);
        ObjectNode rk = root.putObject("rootKey");
        rk.put("type", type);
        rk.put("keyId", keyId);
        ObjectNode c = rk.putObject("config");
        new TreeMap<>(config).forEach(c::put);
        root.put("deploymentId", deploymentId);
        if (rotatedAt != null) {
            root.put("rotatedAt", rotatedAt.toString());
        }
        root.put("wrapped", Base64.getEncoder().encodeToString(wrapped));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // binds what the record says about its key to the wrapped keyring
    private static byte[] aad(String type, String keyId, String deploymentId) {
        return ("anima-vault/keyring/v2\0" + type + "\0" + keyId + "\0" + deploymentId).getBytes(StandardCharsets.UTF_8);
    }

    private static String randomDeploymentId() {
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        return "dep_" + HexFormat.of().formatHex(b);
    }

    /** The record's fields, for status (no secret): type, keyId, config, deploymentId, rotatedAt. */
    public static Map<String, Object> describe(State s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", s.format());
        m.put("type", s.type());
        m.put("keyId", s.keyId());
        m.put("config", s.config());
        m.put("deploymentId", s.deploymentId());
        m.put("rotatedAt", s.rotatedAt() == null ? null : s.rotatedAt().toString());
        return m;
    }
}
