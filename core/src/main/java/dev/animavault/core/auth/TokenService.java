package dev.animavault.core.auth;

import static dev.animavault.core.auth.TokenRecords.decodeB64;
import static dev.animavault.core.auth.TokenRecords.derivedId;
import static dev.animavault.core.auth.TokenRecords.parse;
import static dev.animavault.core.auth.TokenRecords.signature;
import static dev.animavault.core.auth.TokenRecords.toPrincipal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.ChangeNotifying;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StorageChange;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Issues, verifies and revokes bearer tokens. A token is {@code avk_} (organization API key) or
 * {@code avt_} (identity token), a 16-hex-digit public id, {@code _}, and 256 random bits in base64url.
 * Storage keeps only the HMAC-SHA256 of the whole token under the keyring's token key (record
 * {@code tokens/<id>}); verification recomputes it and compares in constant time. Verified tokens are
 * cached by their HMAC for {@code ttl}, so the read path costs one HMAC and a map lookup; a revocation is
 * seen at once on the node that made it and within {@code ttl} on other nodes.
 *
 * <p>Tokens given from outside (the bootstrap token) may have any form; their id is derived from their
 * HMAC. Thread-safe.
 */
public final class TokenService {
    /** Record namespace of tokens. */
    public static final String NAMESPACE = "tokens";
    /** Record namespace of organizations (read to refuse the tokens of a disabled one). */
    private static final String ORGS_NAMESPACE = "orgs";
    /** What an instance owner key holds: every permission, {@code orgs:write} included. */
    public static final Set<Permission> INSTANCE_OWNER = Set.copyOf(java.util.EnumSet.allOf(Permission.class));
    private static final Pattern OURS = Pattern.compile("av[kt]_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    private static final ObjectMapper JSON = TokenRecords.JSON;
    private static final HexFormat HEX = HexFormat.of();

    private final StorageBackend storage;
    private final Barrier barrier;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Cache<String, Principal> cache;
    // ids revoked by this node, remembered for longer than a cache entry lives, so a verification that
    // read the record just before the revocation cannot put the token back into the cache
    private final Cache<String, Boolean> revoked;
    // moves on every token change told by the storage (other nodes' revocations): a verification that
    // overlapped one does not keep its result in the cache
    private final java.util.concurrent.atomic.AtomicLong changeGeneration = new java.util.concurrent.atomic.AtomicLong();

    /** A newly issued token: the secret string is shown to the caller once. */
    public record Issued(String token, Principal principal, Instant createdAt, String name) {
        @Override
        public String toString() {
            return "Issued[" + principal.tokenId() + ", <masked>]";
        }
    }

    private final ApiKeyRecords apiKeys;
    private final TokenScans scans;

    public TokenService(StorageBackend storage, Barrier barrier, Clock clock, Duration cacheTtl) {
        this.storage = Objects.requireNonNull(storage, "storage is null");
        this.barrier = Objects.requireNonNull(barrier, "barrier is null");
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.cache = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(100_000).build();
        this.revoked = Caffeine.newBuilder().expireAfterWrite(cacheTtl.multipliedBy(2).plusSeconds(1))
                .maximumSize(100_000).build();
        this.apiKeys = new ApiKeyRecords(this, storage);
        this.scans = new TokenScans(storage);
    }

    /** The organizations' API keys: list, look up, revoke. */
    public ApiKeyRecords apiKeys() {
        return apiKeys;
    }

    /**
     * Verifies a bearer token.
     *
     * @throws VaultException {@code UNAUTHENTICATED} when it is unknown, revoked or expired
     */
    public Principal verify(String token) {
        if (token == null || token.isEmpty() || token.length() > 512) {
            throw unauthenticated();
        }
        Barrier.TokenMac activeMac = barrier.activeTokenMac(token.getBytes(StandardCharsets.UTF_8));
        byte[] mac = activeMac.mac();
        String cacheKey = HEX.formatHex(mac);
        Principal cached = cache.getIfPresent(cacheKey);
        if (cached != null) {
            if ((cached.expiresAt() != null && !clock.instant().isBefore(cached.expiresAt()))
                    || revoked.getIfPresent(cached.tokenId()) != null) {
                cache.invalidate(cacheKey);
                throw unauthenticated();
            }
            return cached;
        }
        boolean ours = OURS.matcher(token).matches();
        long generation = changeGeneration.get();
        StoredRecord record = null;
        if (ours) {
            record = storage.getRecord(NAMESPACE, token.substring(4, 20)).orElseThrow(TokenService::unauthenticated);
        } else {
            // a token given from outside: its id derives from its MAC, under the key version it was registered with
            record = storage.getRecord(NAMESPACE, derivedId(mac)).orElse(null);
            for (int v : barrier.liveTokenKeyVersions()) {
                if (record != null) {
                    break;
                }
                byte[] older = barrier.tokenMac(v, token.getBytes(StandardCharsets.UTF_8)).orElse(null);
                record = older == null ? null : storage.getRecord(NAMESPACE, derivedId(older)).orElse(null);
            }
            if (record == null) {
                throw unauthenticated();
            }
        }
        JsonNode json = parse(record);
        int keyVersion = json.path("kv").asInt(1);
        // the common case: hashed under the active key, one HMAC in all; else under a live older version
        byte[] recordMac = keyVersion == activeMac.version() ? mac
                : barrier.tokenMac(keyVersion, token.getBytes(StandardCharsets.UTF_8))
                        .orElseThrow(TokenService::unauthenticated); // its key version was retired
        byte[] stored = decodeB64(json.path("mac").asText(), record.key());
        if (!MessageDigest.isEqual(stored, recordMac)) {
            throw unauthenticated();
        }
        if (!MessageDigest.isEqual(decodeB64(json.path("sig").asText(), record.key()),
                signature(barrier, json, keyVersion))) {
            // someone with write access to storage altered the record (kind, organization, keys, expiry)
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "token record " + record.key() + " fails its signature");
        }
        if (keyVersion != activeMac.version()) {
            rekey(record, (ObjectNode) json, activeMac, ours);
        }
        Principal p = toPrincipal(json);
        if (p.expiresAt() != null && !clock.instant().isBefore(p.expiresAt())) {
            throw unauthenticated();
        }
        if (isOrganizationDisabled(p.organizationId())) {
            throw unauthenticated();
        }
        cache.put(cacheKey, p);
        if (changeGeneration.get() != generation) {
            // another node's change arrived while this read ran: it may be this token's revocation
            cache.invalidate(cacheKey);
        }
        if (revoked.getIfPresent(p.tokenId()) != null) {
            cache.invalidate(cacheKey);
            throw unauthenticated();
        }
        return p;
    }

    /**
     * Drops cached verifications that a write committed by any node sharing the storage may have made
     * stale: a token record written or deleted (revocation), or anything at all ({@code ANY}). Called on
     * the storage backend's notification thread ({@link ChangeNotifying}).
     */
    public void changed(StorageChange change) {
        if (change.kind() == StorageChange.Kind.ANY
                || (change.kind() == StorageChange.Kind.RECORD && (NAMESPACE.equals(change.scope())
                || ORGS_NAMESPACE.equals(change.scope())))) {
            changeGeneration.incrementAndGet();
        }
        switch (change.kind()) {
            case ANY -> cache.invalidateAll();
            case RECORD -> {
                if (NAMESPACE.equals(change.scope())) {
                    String tokenId = change.id();
                    cache.asMap().values().removeIf(p -> p.tokenId().equals(tokenId));
                } else if (ORGS_NAMESPACE.equals(change.scope())) {
                    // an organization disabled on another node: its tokens verify again (and are refused)
                    String org = change.id();
                    cache.asMap().values().removeIf(p -> p.organizationId().equals(org));
                }
            }
            default -> {
                // identities and secrets: not cached here (verification of identity tokens reads the identity)
            }
        }
    }

    /**
     * Stops every token of an organization that was just disabled: cached verifications of its tokens are
     * dropped at once on this node (other nodes drop them on the storage's change notification, or within
     * the cache TTL), and verification refuses tokens of a disabled organization.
     */
    public void organizationDisabled(String organizationId) {
        changeGeneration.incrementAndGet();
        cache.asMap().values().removeIf(p -> p.organizationId().equals(organizationId));
    }

    /** Whether the organization's record says it is disabled (read on a cache miss, never on a hit). */
    private boolean isOrganizationDisabled(String organizationId) {
        Optional<StoredRecord> r = storage.getRecord(ORGS_NAMESPACE, organizationId);
        if (r.isEmpty()) {
            return false; // a bootstrap that died before creating it; the organization comes back on restart
        }
        try {
            return JSON.readTree(r.get().value()).path("disabled").asBoolean(false);
        } catch (IOException e) {
            throw new VaultException(ErrorCode.INTEGRITY_ERROR, "organization record " + organizationId
                    + " is malformed");
        }
    }

    /**
     * Issues a new <b>instance owner</b> API key (what {@code anima-vault init} prints): every permission of
     * its organization plus {@code orgs:write}.
     */
    public Issued issueOrgKey(String organizationId, String name) {
        return issue(generate("avk_"), Principal.Kind.ORG_API_KEY, organizationId, null, name, Set.of(), null,
                INSTANCE_OWNER);
    }

    /**
     * Issues a new organization API key holding {@code permissions}, limited to one identity when
     * {@code identityScope} is not null, expiring at {@code expiresAt} (null: never). The caller has checked
     * that its creator holds all of them.
     */
    public Issued issueApiKey(String organizationId, String name, Set<Permission> permissions, String identityScope,
                              Instant expiresAt) {
        return issue(generate("avk_"), Principal.Kind.ORG_API_KEY, organizationId, identityScope, name, Set.of(),
                expiresAt, permissions);
    }

    /**
     * Registers a token given from outside (bootstrap) as an instance owner API key of the organization.
     * Idempotent: registering the same token again is a no-op.
     */
    public Principal registerOrgKey(String organizationId, String token, String name) {
        try {
            return issue(token, Principal.Kind.ORG_API_KEY, organizationId, null, name, Set.of(), null,
                    INSTANCE_OWNER).principal();
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.ALREADY_EXISTS) {
                return verify(token);
            }
            throw e;
        }
    }

    /** Issues a new identity token. */
    public Issued issueIdentityToken(String organizationId, String identityId, String name, Set<String> keys,
                                     Instant expiresAt) {
        return issue(generate("avt_"), Principal.Kind.IDENTITY, organizationId, identityId, name, keys, expiresAt,
                null);
    }

    private Issued issue(String token, Principal.Kind kind, String org, String identity, String name, Set<String> keys,
                         Instant expiresAt, Set<Permission> permissions) {
        int keyVersion = barrier.tokenKeyVersion();
        byte[] mac = barrier.tokenMac(keyVersion, token.getBytes(StandardCharsets.UTF_8)).orElseThrow();
        String id = OURS.matcher(token).matches() ? token.substring(4, 20) : derivedId(mac);
        Instant now = clock.instant();
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("kind", kind.name());
        json.put("organizationId", org);
        if (identity != null) {
            json.put("identityId", identity);
        }
        json.put("name", name == null ? "" : name);
        json.put("createdAt", now.toString());
        if (expiresAt != null) {
            json.put("expiresAt", expiresAt.toString());
        }
        keys.forEach(json.putArray("keys")::add);
        if (permissions != null) {
            permissions.stream().map(Permission::wire).sorted().forEach(json.putArray("permissions")::add);
        }
        json.put("mac", Base64.getEncoder().encodeToString(mac));
        json.put("kv", keyVersion);
        json.put("sig", Base64.getEncoder().encodeToString(signature(barrier, json, keyVersion)));
        try {
            storage.putRecord(NAMESPACE, id, JSON.writeValueAsBytes(json), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Issued(token, toPrincipal(json), now, name);
    }

    /** Revokes one token of an identity; false if there is no such token for that identity. */
    public boolean revoke(String organizationId, String identityId, String tokenId) {
        Optional<StoredRecord> r = storage.getRecord(NAMESPACE, tokenId);
        if (r.isEmpty()) {
            return false;
        }
        JsonNode json = parse(r.get());
        if (!organizationId.equals(json.path("organizationId").asText())
                || !Principal.Kind.IDENTITY.name().equals(json.path("kind").asText())
                || !Objects.equals(identityId, json.path("identityId").asText(null))) {
            return false;
        }
        delete(tokenId, r.get());
        return true;
    }

    /** Deletes a token record and forgets its cached verifications (this node at once). */
    void delete(String tokenId, StoredRecord r) {
        revoked.put(tokenId, Boolean.TRUE);
        try {
            storage.deleteRecord(NAMESPACE, tokenId, r.revision());
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
        cache.asMap().values().removeIf(p -> p.tokenId().equals(tokenId));
    }

    /** A token's metadata, as listed: never the token or its MAC. */
    public record TokenInfo(String id, String identityId, String name, Set<String> keys, Instant createdAt,
                            Instant expiresAt) {
    }

    /**
     * The tokens of an identity, oldest first (scans the token records: an operator's call, not a hot path).
     * Expired tokens are listed too (their {@code expiresAt} is in the past) until revoked.
     */
    public List<TokenInfo> list(String organizationId, String identityId) {
        return scans.list(organizationId, identityId);
    }

    /** Whether the organization has at least one API key (startup only: scans the token records). */
    public boolean hasOrgKey(String organizationId) {
        return scans.hasOrgKey(organizationId);
    }

    /** Revokes every token of an identity (when it is disabled); returns how many. */
    public int revokeAll(String organizationId, String identityId) {
        int n = 0;
        for (String id : scans.tokenIds(json -> organizationId.equals(json.path("organizationId").asText())
                && Principal.Kind.IDENTITY.name().equals(json.path("kind").asText())
                && identityId.equals(json.path("identityId").asText(null)), false)) {
            if (revoke(organizationId, identityId, id)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Re-hashes a verified token's record under the active token key (the token itself is in hand), so a
     * token in use outlives the deadline of the key version it was issued under. Ours keep their id and
     * record (conditional on its revision: a revocation in between wins); a token given from outside
     * (bootstrap) has an id derived from its MAC, so it moves to a new record under its new id. Best effort:
     * the token stays valid either way until the old version's deadline.
     */
    private void rekey(StoredRecord record, ObjectNode json, Barrier.TokenMac activeMac, boolean ours) {
        int active = activeMac.version();
        ObjectNode updated = json.deepCopy();
        String id = ours ? record.key() : derivedId(activeMac.mac());
        updated.put("id", id);
        updated.put("mac", Base64.getEncoder().encodeToString(activeMac.mac()));
        updated.put("kv", active);
        try {
            updated.put("sig", Base64.getEncoder().encodeToString(signature(barrier, updated, active)));
            if (ours) {
                storage.putRecord(NAMESPACE, id, JSON.writeValueAsBytes(updated), record.revision());
            } else {
                try {
                    storage.putRecord(NAMESPACE, id, JSON.writeValueAsBytes(updated), 0);
                } catch (VaultException e) {
                    if (e.errorCode() != ErrorCode.ALREADY_EXISTS) {
                        throw e;
                    }
                }
                storage.deleteRecord(NAMESPACE, record.key(), record.revision());
            }
        } catch (VaultException | IOException e) {
            // a concurrent revocation or re-key, or storage trouble: the next use tries again
        }
    }

    /**
     * How many token records each token key version hashes (scans the token records: the keyring job's
     * call, not a hot path).
     */
    public Map<Integer, Long> recordsPerKeyVersion() {
        return scans.recordsPerKeyVersion();
    }

    private String generate(String prefix) {
        byte[] idBytes = new byte[8];
        byte[] secret = new byte[32];
        random.nextBytes(idBytes);
        random.nextBytes(secret);
        return prefix + HEX.formatHex(idBytes) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static VaultException unauthenticated() {
        return new VaultException(ErrorCode.UNAUTHENTICATED, "missing, unknown, revoked or expired bearer token");
    }
}
