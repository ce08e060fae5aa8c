package dev.animavault.core.barrier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One immutable snapshot of the keyring's plaintext (the JSON the root key wraps), with the changes
 * rotation makes to it. Fields this class does not know (the root key layer's own, for instance) are kept
 * as they are when a changed keyring is written back.
 *
 * <p>Layout: {@code format}, {@code active} (the data key new writes use), {@code keys} (data keys:
 * {@code id}, {@code created}, {@code key}), {@code tokenActive} and {@code tokenKeys} (token HMAC keys:
 * {@code version}, {@code created}, optional {@code retiresAt}, {@code key}), {@code auditKey} (audit HMAC
 * key version 1) and, once the audit key was rotated, {@code auditKeys} (versions 2 and later: {@code version},
 * {@code created}, {@code key}). Format 1 keyrings hold one {@code tokenKey} instead of {@code tokenKeys}: it is
 * token key version 1. Audit key versions are never retired: events hashed under any of them stay searchable.
 */
final class Keyring {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A data key (AES-256). */
    record DataKey(int id, Instant created, SecretKey key) {
        @Override
        public String toString() {
            return "DataKey[" + id + ", <masked>]";
        }
    }

    /** A token HMAC key; {@code retiresAt} null while it is the active one or kept without deadline. */
    record TokenKey(int version, Instant created, Instant retiresAt, SecretKey key) {
        boolean liveAt(Instant now) {
            return retiresAt == null || now.isBefore(retiresAt);
        }

        @Override
        public String toString() {
            return "TokenKey[" + version + ", <masked>]";
        }
    }

    /** An audit HMAC key version (the field HMACs of audit events are made under keys derived from it). */
    record AuditKey(int version, Instant created, SecretKey key) {
        @Override
        public String toString() {
            return "AuditKey[" + version + ", <masked>]";
        }
    }

    private final ObjectNode json;
    final long revision;
    final Map<Integer, DataKey> dataKeys;
    final int active;
    /** Newest first; the first is the active one. */
    final List<TokenKey> tokenKeys;
    /** Audit key version 1 (the keyring's original {@code auditKey}; derived signing keys come from it). */
    final SecretKey auditKey;
    /** Every audit key version, newest (active) first. */
    final List<AuditKey> auditKeys;

    private Keyring(ObjectNode json, long revision, Map<Integer, DataKey> dataKeys, int active,
                    List<TokenKey> tokenKeys, SecretKey auditKey, List<AuditKey> auditKeys) {
        this.json = json;
        this.revision = revision;
        this.dataKeys = Map.copyOf(dataKeys);
        this.active = active;
        this.tokenKeys = List.copyOf(tokenKeys);
        this.auditKey = auditKey;
        this.auditKeys = List.copyOf(auditKeys);
    }

    /** The plaintext of a new keyring: data key 1, token key 1, an audit key. */
    static byte[] create(Instant now) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 2);
        root.put("active", 1);
        ObjectNode k = root.putArray("keys").addObject();
        k.put("id", 1);
        k.put("created", now.toString());
        k.put("key", randomB64());
        root.put("tokenActive", 1);
        ObjectNode t = root.putArray("tokenKeys").addObject();
        t.put("version", 1);
        t.put("created", now.toString());
        t.put("key", randomB64());
        root.put("auditKey", randomB64());
        return bytes(root);
    }

    /** Parses a keyring's plaintext stored at {@code revision}. */
    static Keyring parse(byte[] plain, long revision) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(plain);
            Map<Integer, DataKey> keys = new LinkedHashMap<>();
            for (JsonNode k : root.get("keys")) {
                int id = k.get("id").asInt();
                keys.put(id, new DataKey(id, instant(k.path("created")), aes(k.get("key").asText())));
            }
            int active = root.get("active").asInt();
            if (!keys.containsKey(active)) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring names an active key it does not hold");
            }
            List<TokenKey> tokens = new ArrayList<>();
            if (root.has("tokenKeys")) {
                for (JsonNode t : root.get("tokenKeys")) {
                    tokens.add(new TokenKey(t.get("version").asInt(), instant(t.path("created")),
                            t.hasNonNull("retiresAt") ? Instant.parse(t.get("retiresAt").asText()) : null,
                            hmac(t.get("key").asText())));
                }
            } else {
                tokens.add(new TokenKey(1, Instant.EPOCH, null, hmac(root.get("tokenKey").asText())));
            }
            tokens.sort(Comparator.comparingInt(TokenKey::version).reversed());
            int tokenActive = root.path("tokenActive").asInt(1);
            if (tokens.isEmpty() || tokens.get(0).version() != tokenActive) {
                throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring's active token key is not its newest");
            }
            SecretKey audit1 = hmac(root.get("auditKey").asText());
            List<AuditKey> audits = new ArrayList<>();
            audits.add(new AuditKey(1, Instant.EPOCH, audit1));
            for (JsonNode a : root.path("auditKeys")) {
                int v = a.get("version").asInt();
                if (v < 2) {
                    throw new IllegalArgumentException("audit key version below 2 in auditKeys");
                }
                audits.add(new AuditKey(v, instant(a.path("created")), hmac(a.get("key").asText())));
            }
            audits.sort(Comparator.comparingInt(AuditKey::version).reversed());
            return new Keyring(root, revision, keys, active, tokens, audit1, audits);
        } catch (IOException | NullPointerException | IllegalArgumentException | ClassCastException
                 | java.time.format.DateTimeParseException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "keyring record is malformed");
        }
    }

    DataKey activeKey() {
        return dataKeys.get(active);
    }

    TokenKey activeTokenKey() {
        return tokenKeys.get(0);
    }

    AuditKey activeAuditKey() {
        return auditKeys.get(0);
    }

    /** This keyring's plaintext with a new audit key version that becomes the active one. */
    byte[] withNewAuditKey(Instant now) {
        ObjectNode root = json.deepCopy();
        ArrayNode arr = root.has("auditKeys") ? (ArrayNode) root.get("auditKeys") : root.putArray("auditKeys");
        ObjectNode a = arr.addObject();
        a.put("version", activeAuditKey().version() + 1);
        a.put("created", now.toString());
        a.put("key", randomB64());
        return bytes(root);
    }

    /** This keyring's plaintext with a new data key that becomes the active one. */
    byte[] withNewDataKey(Instant now) {
        ObjectNode root = json.deepCopy();
        int id = dataKeys.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        ObjectNode k = ((ArrayNode) root.get("keys")).addObject();
        k.put("id", id);
        k.put("created", now.toString());
        k.put("key", randomB64());
        root.put("active", id);
        root.put("format", 2);
        return bytes(root);
    }

    /** This keyring's plaintext without the given data keys (never the active one). */
    byte[] withoutDataKeys(Set<Integer> ids) {
        if (ids.contains(active)) {
            throw new IllegalArgumentException("the active data key cannot be removed");
        }
        ObjectNode root = json.deepCopy();
        ArrayNode kept = JSON.createArrayNode();
        root.get("keys").forEach(k -> {
            if (!ids.contains(k.get("id").asInt())) {
                kept.add(k);
            }
        });
        root.set("keys", kept);
        return bytes(root);
    }

    /**
     * This keyring's plaintext with a new active token key; every previous version retires at
     * {@code retireOld} at the latest (null: deadlines unchanged).
     */
    byte[] withNewTokenKey(Instant now, Instant retireOld) {
        ObjectNode root = tokenKeysAsArray();
        int version = activeTokenKey().version() + 1;
        ArrayNode arr = (ArrayNode) root.get("tokenKeys");
        if (retireOld != null) {
            arr.forEach(t -> {
                if (!t.hasNonNull("retiresAt") || Instant.parse(t.get("retiresAt").asText()).isAfter(retireOld)) {
                    ((ObjectNode) t).put("retiresAt", retireOld.toString());
                }
            });
        }
        ObjectNode t = arr.addObject();
        t.put("version", version);
        t.put("created", now.toString());
        t.put("key", randomB64());
        root.put("tokenActive", version);
        return bytes(root);
    }

    /** This keyring's plaintext without the given token key versions (never the active one). */
    byte[] withoutTokenKeys(Set<Integer> versions) {
        if (versions.contains(activeTokenKey().version())) {
            throw new IllegalArgumentException("the active token key cannot be removed");
        }
        ObjectNode root = tokenKeysAsArray();
        ArrayNode kept = JSON.createArrayNode();
        root.get("tokenKeys").forEach(t -> {
            if (!versions.contains(t.get("version").asInt())) {
                kept.add(t);
            }
        });
        root.set("tokenKeys", kept);
        return bytes(root);
    }

    // a format 1 keyring's single tokenKey becomes version 1 of the array
    private ObjectNode tokenKeysAsArray() {
        ObjectNode root = json.deepCopy();
        if (!root.has("tokenKeys")) {
            ObjectNode t = root.putArray("tokenKeys").addObject();
            t.put("version", 1);
            t.put("created", Instant.EPOCH.toString());
            t.put("key", root.get("tokenKey").asText());
            root.remove("tokenKey");
            root.put("tokenActive", 1);
        }
        root.put("format", 2);
        return root;
    }

    private static Instant instant(JsonNode n) {
        return n.isTextual() ? Instant.parse(n.asText()) : Instant.EPOCH;
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String randomB64() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        String s = Base64.getEncoder().encodeToString(b);
        Arrays.fill(b, (byte) 0);
        return s;
    }

    private static SecretKey aes(String b64) {
        return new SecretKeySpec(key256(b64), "AES");
    }

    static SecretKey hmac(String b64) {
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

    @Override
    public String toString() {
        return "Keyring[revision=" + revision + ", active=" + active + ", keys=" + dataKeys.keySet() + ", <masked>]";
    }
}
