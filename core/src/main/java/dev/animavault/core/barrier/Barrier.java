package dev.animavault.core.barrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The barrier between core and storage: every secret value is sealed with AES-256-GCM under the active
 * data key of the keyring before it reaches a {@code Protection.NONE} backend, with AAD binding it to
 * its organization, identity, key and version, so a value copied to another row fails to open.
 *
 * <p>The keyring (data keys, the token HMAC key and the audit HMAC key) lives in storage as record
 * {@code sys/keyring}, wrapped by a root key provider ({@link KeyringStore}). The first node to start
 * creates it; others read it. Sealed value layout: {@code 0x01 | keyId (4 bytes, big endian) | nonce (12) | ciphertext+tag}.
 *
 * <p>Thread-safe.
 */
public final class Barrier {
    static final String NAMESPACE = "sys";
    static final String KEYRING = "keyring";
    private static final byte FORMAT = 1;
    private static final int HEADER = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Integer, SecretKey> dataKeys;
    private final int activeKeyId;
    private final SecretKey tokenKey;
    private final InstancePool<Mac> tokenMacs;
    /** The keyring's audit key; only keys derived from it leave the barrier. */
    private final SecretKey auditKey;

    private Barrier(Map<Integer, SecretKey> dataKeys, int activeKeyId, SecretKey tokenKey, SecretKey auditKey) {
        this.dataKeys = Map.copyOf(dataKeys);
        this.activeKeyId = activeKeyId;
        this.tokenKey = tokenKey;
        this.auditKey = auditKey;
        this.tokenMacs = new InstancePool<>(() -> newMac(tokenKey));
    }

    /**
     * Opens the keyring stored in {@code storage}, creating it on first start. A root key generated in
     * memory ({@link RootKey#isUnsaved()}) is saved to its file just before the new keyring is stored; with
     * a keyring already in storage such a key means the key file is missing, and nothing is written.
     *
     * @throws VaultException {@code CONFIGURATION} when the root key does not open the stored keyring, or
     *                        when the key file is missing although storage holds a keyring
     */
    public static Barrier open(StorageBackend storage, RootKey rootKey, Clock clock) {
        return open(new KeyringStore(storage, rootKey, "file", Map.of()), clock);
    }

    /**
     * Opens the keyring through {@code keyring} (whose root key provider unwraps it), creating it on first
     * start.
     *
     * @throws VaultException {@code CONFIGURATION} when the root key does not open the stored keyring
     */
    public static Barrier open(KeyringStore keyring, Clock clock) {
        byte[] plain = keyring.openOrCreate(() -> newKeyring(clock), clock.instant());
        try {
            return fromJson(plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Opens the keyring already in {@code storage} without ever creating one or writing the root key
     * (for tools such as {@code audit verify}).
     *
     * @return the barrier, or empty when storage holds no keyring
     * @throws VaultException {@code CONFIGURATION} when the root key does not open it
     */
    public static Optional<Barrier> openExisting(StorageBackend storage, RootKey rootKey) {
        if (rootKey.isUnsaved()) {
            return Optional.empty();
        }
        return new KeyringStore(storage, rootKey, "file", Map.of()).openExisting().map(plain -> {
            try {
                return fromJson(plain);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        });
    }

    /**
     * A key derived one-way from the keyring's audit key for {@code purpose}:
     * {@code HMAC-SHA256(auditKey, "anima-vault/audit-key/v1/" + purpose)}, as an {@code HmacSHA256} key.
     * The same on every node; reveals nothing about the audit key or the rest of the keyring.
     */
    public SecretKey deriveAuditKey(String purpose) {
        if (purpose == null || purpose.isBlank()) {
            throw new IllegalArgumentException("purpose is blank");
        }
        Mac mac = newMac(auditKey);
        byte[] derived = mac.doFinal(("anima-vault/audit-key/v1/" + purpose).getBytes(StandardCharsets.UTF_8));
        try {
            return new SecretKeySpec(derived, "HmacSHA256");
        } finally {
            Arrays.fill(derived, (byte) 0);
        }
    }

    private static byte[] newKeyring(Clock clock) {
        SecureRandom random = new SecureRandom();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        root.put("active", 1);
        ArrayNode keys = root.putArray("keys");
        ObjectNode k = keys.addObject();
        k.put("id", 1);
        k.put("created", clock.instant().toString());
        k.put("key", randomB64(random));
        root.put("tokenKey", randomB64(random));
        root.put("auditKey", randomB64(random));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String randomB64(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        String s = Base64.getEncoder().encodeToString(b);
        Arrays.fill(b, (byte) 0);
        return s;
    }

    private static Barrier fromJson(byte[] json) {
        try {
            JsonNode root = JSON.readTree(json);
            Map<Integer, SecretKey> keys = new HashMap<>();
            for (JsonNode k : root.get("keys")) {
                keys.put(k.get("id").asInt(), aes(k.get("key").asText()));
            }
            int active = root.get("active").asInt();
            if (!keys.containsKey(active)) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring names an active key it does not hold");
            }
            return new Barrier(keys, active, hmac(root.get("tokenKey").asText()), hmac(root.get("auditKey").asText()));
        } catch (IOException | NullPointerException | IllegalArgumentException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring record is malformed");
        }
    }

    private static SecretKey aes(String b64) {
        return new SecretKeySpec(key256(b64), "AES");
    }

    private static SecretKey hmac(String b64) {
        return new SecretKeySpec(key256(b64), "HmacSHA256");
    }

    // every key in the keyring is 256 bits; anything else means a damaged or forged keyring
    private static byte[] key256(String b64) {
        byte[] raw = Base64.getDecoder().decode(b64);
        if (raw.length != 32) {
            throw new IllegalArgumentException("keyring key is not 256 bits");
        }
        return raw;
    }

    /** Seals a secret value for the given secret version. */
    public byte[] seal(SecretRef ref, int version, byte[] plaintext) {
        return sealWith(plaintext, aad(ref, version));
    }

    /**
     * Opens a sealed value.
     *
     * @throws VaultException {@code INTEGRITY_ERROR} when the value was altered or belongs to another secret
     */
    public byte[] open(SecretRef ref, int version, byte[] sealed) {
        return openWith(sealed, aad(ref, version), "stored value of " + ref.key());
    }

    /**
     * Seals one of core's own records (a webhook signing secret, a cached access token, ...) before it is
     * stored with {@link StorageBackend#putRecord}. The AAD binds it to its namespace and key, so a sealed
     * record copied under another name fails to open. Same layout and keyring as secret values.
     */
    public byte[] sealRecord(String namespace, String key, byte[] plaintext) {
        return sealWith(plaintext, recordAad(namespace, key));
    }

    /**
     * Opens a record sealed by {@link #sealRecord}.
     *
     * @throws VaultException {@code INTEGRITY_ERROR} when the record was altered or belongs to another name
     */
    public byte[] openRecord(String namespace, String key, byte[] sealed) {
        return openWith(sealed, recordAad(namespace, key), "record " + namespace + "/" + key);
    }

    private byte[] sealWith(byte[] plaintext, byte[] aad) {
        byte[] header = ByteBuffer.allocate(HEADER).put(FORMAT).putInt(activeKeyId).array();
        return Aead.seal(dataKeys.get(activeKeyId), header, plaintext, aad);
    }

    // what names the sealed thing in errors: never its content
    private byte[] openWith(byte[] sealed, byte[] aad, String what) {
        if (sealed.length < HEADER || sealed[0] != FORMAT) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, what + " has an unknown format");
        }
        int keyId = ByteBuffer.wrap(sealed, 1, 4).getInt();
        SecretKey key = dataKeys.get(keyId);
        if (key == null) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, what + " uses unknown data key " + keyId);
        }
        return Aead.open(key, sealed, HEADER, aad);
    }

    /** HMAC-SHA256 under the token key (token verification). */
    public byte[] tokenMac(byte[] data) {
        return mac(tokenMacs, data);
    }

    private static byte[] mac(InstancePool<Mac> pool, byte[] data) {
        Mac m = pool.take();
        try {
            return m.doFinal(data);
        } finally {
            pool.give(m);
        }
    }

    private static Mac newMac(SecretKey key) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] aad(SecretRef ref, int version) {
        byte[] o = ref.organizationId().getBytes(StandardCharsets.UTF_8);
        byte[] i = ref.identityId().getBytes(StandardCharsets.UTF_8);
        byte[] k = ref.key().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(3 + 16 + o.length + i.length + k.length)
                .put((byte) 'a').put((byte) 'v').put((byte) '1')
                .putInt(o.length).put(o).putInt(i.length).put(i).putInt(k.length).put(k).putInt(version)
                .array();
    }

    static byte[] recordAad(String namespace, String key) {
        byte[] n = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(3 + 8 + n.length + k.length)
                .put((byte) 'a').put((byte) 'v').put((byte) 'r')
                .putInt(n.length).put(n).putInt(k.length).put(k)
                .array();
    }

    @Override
    public String toString() {
        return "Barrier[activeKey=" + activeKeyId + ", keys=" + dataKeys.size() + ", <masked>]";
    }
}
