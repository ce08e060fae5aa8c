package dev.animavault.core.audit;

import dev.animavault.spi.audit.AuditEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Replaces the fields of an audit event that could identify a credential or a source by HMACs under the
 * keyring's audit key, before any sink sees the event:
 * <ul>
 *   <li>the token id part of {@code actor} ({@code apikey:<id>}, {@code identity:<identity>/<id>},
 *       {@code admin:<session id>}): the kind and the identity stay readable, so reports per identity and
 *       per kind of actor still work;</li>
 *   <li>details {@value #DETAIL_KEYS_DOC} (API key ids, admin session ids, token ids), and the token id
 *       part of detail {@code changedBy} (an actor: who changed a rotation policy);</li>
 *   <li>{@code remoteAddress}, only when configured ({@code vault.keyring.audit-hash-remote-address}, default
 *       off: addresses stay in clear).</li>
 * </ul>
 * A hashed field reads {@code hmac:v<version>:<32 hex digits>}: the first 128 bits of
 * HMAC-SHA256(field key of audit key {@code version}, UTF-8 value). The version makes events recorded before
 * an audit key rotation searchable: {@link #hashAll} hashes a known value under every version.
 *
 * <p>Hashing an actor costs one HMAC; the results for the active version are cached (bounded), so an agent's
 * repeated reads pay one map lookup. Thread-safe.
 */
public final class SensitiveFields {
    /** What marks a hashed value. */
    public static final String PREFIX = "hmac:v";
    static final String DETAIL_KEYS_DOC = "apiKey, session, tokenId";
    /** Detail keys whose values are credential ids. */
    public static final Set<String> DETAIL_KEYS = Set.of("apiKey", "session", "tokenId");
    /** Detail keys whose values are actors. */
    public static final Set<String> ACTOR_DETAIL_KEYS = Set.of("changedBy");
    private static final int CACHE_MAX = 10_000;
    private static final HexFormat HEX = HexFormat.of();

    private final IntSupplier activeVersion;
    private final Supplier<List<Integer>> versions;
    private final BiFunction<Integer, byte[], Optional<byte[]>> mac;
    private final boolean hashRemoteAddress;
    /** Hashed value by version and clear value (the actor cache of the hot path). */
    private final Map<Integer, Map<String, String>> cache = new ConcurrentHashMap<>();

    /**
     * @param activeVersion     the active audit key version
     * @param versions          every audit key version held, newest first
     * @param mac               HMAC-SHA256 under a version's field key, empty for an unknown version
     * @param hashRemoteAddress whether client addresses are hashed too
     */
    public SensitiveFields(IntSupplier activeVersion, Supplier<List<Integer>> versions,
                           BiFunction<Integer, byte[], Optional<byte[]>> mac, boolean hashRemoteAddress) {
        this.activeVersion = activeVersion;
        this.versions = versions;
        this.mac = mac;
        this.hashRemoteAddress = hashRemoteAddress;
    }

    /** Whether client addresses are hashed. */
    public boolean hashesRemoteAddress() {
        return hashRemoteAddress;
    }

    /** Whether a value is already a field HMAC. */
    public static boolean isHashed(String value) {
        return value != null && value.startsWith(PREFIX);
    }

    /** The event with its sensitive fields hashed under the active version (the event itself if none). */
    public AuditEvent apply(AuditEvent e) {
        int version = activeVersion.getAsInt();
        String actor = hashActor(e.actor(), version);
        String address = hashRemoteAddress && e.remoteAddress() != null ? hash(e.remoteAddress(), version)
                : e.remoteAddress();
        Map<String, String> details = e.details();
        boolean detailsChanged = false;
        for (String k : DETAIL_KEYS) {
            String v = details.get(k);
            if (v != null && !isHashed(v)) {
                if (!detailsChanged) {
                    details = new HashMap<>(details);
                    detailsChanged = true;
                }
                details.put(k, hash(v, version));
            }
        }
        for (String k : ACTOR_DETAIL_KEYS) {
            String v = details.get(k);
            String h = hashActor(v, version);
            if (v != null && !v.equals(h)) {
                if (!detailsChanged) {
                    details = new HashMap<>(details);
                    detailsChanged = true;
                }
                details.put(k, h);
            }
        }
        if (actor == e.actor() && address == e.remoteAddress() && !detailsChanged) {
            return e;
        }
        return new AuditEvent(e.id(), e.timestamp(), e.action(), e.outcome(), e.organizationId(), e.identityId(),
                e.secretKey(), e.version(), actor, e.requestId(), address, e.errorCode(), details);
    }

    /**
     * An actor as events record it under {@code version}: the token id part hashed; other actors
     * ({@code anonymous}, {@code system:...}) and actors already hashed unchanged.
     */
    public String hashActor(String actor, int version) {
        if (actor == null) {
            return null;
        }
        int split;
        if (actor.startsWith("apikey:") || actor.startsWith("admin:")) {
            split = actor.indexOf(':') + 1;
        } else if (actor.startsWith("identity:")) {
            split = actor.lastIndexOf('/') + 1;
            if (split == 0) {
                return actor;
            }
        } else {
            return actor;
        }
        if (actor.startsWith(PREFIX, split)) {
            return actor;
        }
        Map<String, String> byVersion = cache.computeIfAbsent(version, v -> new ConcurrentHashMap<>());
        String cached = byVersion.get(actor);
        if (cached != null) {
            return cached;
        }
        String hashed = actor.substring(0, split) + hash(actor.substring(split), version);
        if (byVersion.size() >= CACHE_MAX) {
            byVersion.clear();
        }
        byVersion.put(actor, hashed);
        return hashed;
    }

    /** The actor under every audit key version, newest first (to match events recorded before a rotation). */
    public List<String> actorForms(String actor) {
        List<String> out = new ArrayList<>();
        for (int v : versions.get()) {
            out.add(hashActor(actor, v));
        }
        return out;
    }

    /** A value hashed under the active version. */
    public String hash(String value) {
        return hash(value, activeVersion.getAsInt());
    }

    /** A value hashed under every version held, newest (active) first. */
    public List<String> hashAll(String value) {
        List<String> out = new ArrayList<>();
        for (int v : versions.get()) {
            out.add(hash(value, v));
        }
        return out;
    }

    /** The active audit key version. */
    public int activeVersion() {
        return activeVersion.getAsInt();
    }

    String hash(String value, int version) {
        byte[] m = mac.apply(version, value.getBytes(StandardCharsets.UTF_8)).orElseThrow(() ->
                new IllegalStateException("the keyring holds no audit key version " + version));
        return PREFIX + version + ":" + HEX.formatHex(m, 0, 16);
    }
}
