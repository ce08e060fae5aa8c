package dev.animavault.core.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.config.AdminConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.storage.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Admin sessions and login challenges, both bearer strings of the token form: {@value #SESSION_PREFIX}
 * (session) or {@value #CHALLENGE_PREFIX} (challenge between password and code), a 16-hex-digit public id,
 * {@code _}, and 256 random bits. Storage keeps records {@value #SESSIONS}/{@code <id>} and
 * {@value #CHALLENGES}/{@code <id>} sealed by the barrier, holding the keyed hash (HMAC under the token key)
 * of the whole string, never the string.
 *
 * <p>A session ends when idle for {@code session-idle-timeout} (its last use is written back at most once
 * a minute), at {@code session-max-age} after login, at logout or revocation, and as soon as its account
 * is disabled; its permissions are the account's role's at each request, so a role change applies at once.
 * It remembers when its holder last proved a second factor ({@link Session#mfaAt}); sensitive operations
 * ask {@link #requireRecentMfa}. Thread-safe.
 */
public final class AdminSessions {
    public static final String SESSION_PREFIX = "avs_";
    public static final String CHALLENGE_PREFIX = "avc_";
    /** Record namespace of sessions. */
    public static final String SESSIONS = "admin-sessions";
    /** Record namespace of login challenges. */
    public static final String CHALLENGES = "admin-challenges";
    /** Wrong codes one challenge accepts before it is dropped (the account's own limit is separate). */
    public static final int CHALLENGE_MAX_FAILURES = 5;
    private static final Pattern FORM = Pattern.compile("av[sc]_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private final StorageBackend storage;
    private final Barrier barrier;
    private final AdminStore store;
    private final Clock clock;
    private final AdminConfig config;
    private final SecureRandom random = new SecureRandom();
    private final java.util.function.Predicate<String> organizationDisabled;

    /** A session as stored (never the token). */
    public record Session(String id, String organizationId, String username, Instant createdAt, Instant lastSeenAt,
                          Instant expiresAt, Instant mfaAt, String address) {
    }

    /** A login challenge: what the second step has to complete. */
    public record Challenge(String id, String organizationId, String username, boolean enrollment, byte[] pendingSecret,
                            Instant expiresAt, int failures) {
        @Override
        public String toString() {
            return "Challenge[" + id + ", " + organizationId + "/" + username + ", enrollment=" + enrollment + "]";
        }
    }

    /** A newly made bearer string with its record, shown once. */
    public record Issued<T>(String token, T record) {
        @Override
        public String toString() {
            return "Issued[<masked>, " + record + "]";
        }
    }

    public AdminSessions(StorageBackend storage, Barrier barrier, AdminStore store, AdminConfig config, Clock clock,
                         java.util.function.Predicate<String> organizationDisabled) {
        this.organizationDisabled = organizationDisabled;
        this.storage = storage;
        this.barrier = barrier;
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /** Whether a bearer string is an admin session (so the caller asks here, not the token service). */
    public static boolean isSession(String token) {
        return token != null && token.startsWith(SESSION_PREFIX);
    }

    // ------------------------------------------------------------------ sessions

    /** Starts a session for an account that passed its login; {@code mfaAt} is when the second factor was proved. */
    public Issued<Session> start(AdminAccount account, Instant mfaAt, String address) {
        String token = generate(SESSION_PREFIX);
        String id = token.substring(4, 20);
        Instant now = clock.instant();
        Session s = new Session(id, account.organizationId(), account.username(), now, now,
                now.plus(config.sessionMaxAge()), mfaAt, address);
        storage.putRecord(SESSIONS, id, seal(SESSIONS, id, encode(s, mac(token))), 0);
        return new Issued<>(token, s);
    }

    /**
     * The principal of a session token: kind {@code ADMIN}, token id = session id, the role's permissions.
     *
     * @throws VaultException {@code UNAUTHENTICATED} when unknown, ended, or its account is disabled or gone
     */
    public Principal verify(String token) {
        Session s = session(token);
        if (organizationDisabled.test(s.organizationId())) {
            throw unauthenticated();
        }
        AdminAccount a = store.account(s.organizationId(), s.username()).map(AdminStore.Versioned::value)
                .filter(x -> !x.disabled()).orElseThrow(AdminSessions::unauthenticated);
        Set<Permission> perms = store.permissions(a.organizationId(), a.role());
        return new Principal(Principal.Kind.ADMIN, s.organizationId(), null, s.id(), Set.of(), s.expiresAt(), perms);
    }

    /** The live session of a token, its last use updated (at most once a minute). */
    Session session(String token) {
        if (token == null || !FORM.matcher(token).matches() || !token.startsWith(SESSION_PREFIX)) {
            throw unauthenticated();
        }
        String id = token.substring(4, 20);
        StoredRecord r = storage.getRecord(SESSIONS, id).orElseThrow(AdminSessions::unauthenticated);
        JsonNode j = open(SESSIONS, r);
        if (!MessageDigest.isEqual(Base64.getDecoder().decode(j.path("mac").asText()), mac(token))) {
            throw unauthenticated();
        }
        Session s = decodeSession(j);
        Instant now = clock.instant();
        if (!now.isBefore(s.expiresAt()) || !now.isBefore(s.lastSeenAt().plus(config.sessionIdle()))) {
            deleteQuietly(SESSIONS, id, r.revision());
            throw unauthenticated();
        }
        Duration touchEvery = config.sessionIdle().dividedBy(10).compareTo(Duration.ofMinutes(1)) < 0
                ? config.sessionIdle().dividedBy(10) : Duration.ofMinutes(1);
        if (Duration.between(s.lastSeenAt(), now).compareTo(touchEvery) >= 0) {
            Session touched = new Session(s.id(), s.organizationId(), s.username(), s.createdAt(), now, s.expiresAt(),
                    s.mfaAt(), s.address());
            try {
                storage.putRecord(SESSIONS, id, seal(SESSIONS, id, encode(touched, mac(token))), r.revision());
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
            return touched;
        }
        return s;
    }

    /** A session by id (its holder's principal names it), if it is still stored. */
    public Optional<Session> byId(String id) {
        if (id == null || !id.matches("[0-9a-f]{16}")) {
            return Optional.empty();
        }
        return storage.getRecord(SESSIONS, id).map(r -> decodeSession(open(SESSIONS, r)));
    }

    /** Marks that the session's holder proved a second factor now (step-up). */
    void refreshMfa(String sessionId, Instant at) {
        StoredRecord r = storage.getRecord(SESSIONS, sessionId).orElseThrow(AdminSessions::unauthenticated);
        JsonNode j = open(SESSIONS, r);
        Session s = decodeSession(j);
        Session fresh = new Session(s.id(), s.organizationId(), s.username(), s.createdAt(), at, s.expiresAt(), at,
                s.address());
        storage.putRecord(SESSIONS, sessionId, seal(SESSIONS, sessionId, encode(fresh,
                Base64.getDecoder().decode(j.path("mac").asText()))), r.revision());
    }

    /**
     * The live sessions of one account, newest first (scans the namespace: an operator's call). Ended
     * sessions of any account met on the way are deleted (sessions nobody uses again are removed here).
     */
    public List<Session> sessionsOf(String org, String username) {
        Instant now = clock.instant();
        List<Session> out = new ArrayList<>();
        forEach(SESSIONS, r -> {
            Session s = decodeSession(open(SESSIONS, r));
            boolean live = now.isBefore(s.expiresAt()) && now.isBefore(s.lastSeenAt().plus(config.sessionIdle()));
            if (!live) {
                deleteQuietly(SESSIONS, r.key(), r.revision());
            } else if (s.organizationId().equals(org) && s.username().equals(username)) {
                out.add(s);
            }
        });
        out.sort(Comparator.comparing(Session::createdAt).reversed());
        return out;
    }

    /** Ends one session; false when there is none with that id. */
    public boolean end(String id) {
        Optional<StoredRecord> r = id == null || !id.matches("[0-9a-f]{16}") ? Optional.empty()
                : storage.getRecord(SESSIONS, id);
        if (r.isEmpty()) {
            return false;
        }
        deleteQuietly(SESSIONS, id, r.get().revision());
        return true;
    }

    /** Ends every session of an account (disabled, MFA reset); returns how many. */
    public int endAll(String org, String username) {
        int n = 0;
        for (Session s : sessionsOf(org, username)) {
            if (end(s.id())) {
                n++;
            }
        }
        return n;
    }

    /**
     * Refuses unless the caller, if it is an admin session, proved its second factor within
     * {@code vault.admin.sensitive-mfa-max-age}. For sensitive operations (admin changes, MFA reset, key
     * rotation). API keys pass: they carry no MFA, and their permissions are what guards them.
     *
     * @throws VaultException {@code PERMISSION_DENIED} naming the step-up endpoint
     */
    public void requireRecentMfa(Principal principal) {
        if (principal.kind() != Principal.Kind.ADMIN) {
            return;
        }
        Session s = byId(principal.tokenId()).orElseThrow(AdminSessions::unauthenticated);
        Instant now = clock.instant();
        if (s.mfaAt() == null || s.mfaAt().plus(config.mfaFreshness()).isBefore(now)) {
            throw new VaultException(ErrorCode.PERMISSION_DENIED, "this operation needs a second factor proved within "
                    + config.mfaFreshness().toMinutes() + " min: POST /v1/auth/step-up {\"code\":...} first");
        }
    }

    // ------------------------------------------------------------------ challenges

    /** Whether the organization is disabled (its admins neither log in nor use sessions). */
    boolean organizationDisabled(String org) {
        return organizationDisabled.test(org);
    }

    /** Issues a challenge after a right password: to prove a code, or (with a pending secret) to enroll. */
    Issued<Challenge> challenge(AdminAccount account, byte[] pendingSecret) {
        String token = generate(CHALLENGE_PREFIX);
        String id = token.substring(4, 20);
        Challenge c = new Challenge(id, account.organizationId(), account.username(), pendingSecret != null,
                pendingSecret, clock.instant().plus(config.challengeTtl()), 0);
        storage.putRecord(CHALLENGES, id, seal(CHALLENGES, id, encode(c, mac(token))), 0);
        return new Issued<>(token, c);
    }

    /** The live challenge of a token with its storage revision. */
    AdminStore.Versioned<Challenge> challenge(String token) {
        if (token == null || !FORM.matcher(token).matches() || !token.startsWith(CHALLENGE_PREFIX)) {
            throw new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again");
        }
        String id = token.substring(4, 20);
        StoredRecord r = storage.getRecord(CHALLENGES, id).orElseThrow(() -> new VaultException(
                ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again"));
        JsonNode j = open(CHALLENGES, r);
        if (!MessageDigest.isEqual(Base64.getDecoder().decode(j.path("mac").asText()), mac(token))) {
            throw new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again");
        }
        Challenge c = decodeChallenge(j);
        if (!clock.instant().isBefore(c.expiresAt())) {
            deleteQuietly(CHALLENGES, id, r.revision());
            throw new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again");
        }
        return new AdminStore.Versioned<>(c, r.revision());
    }

    /** Counts a wrong code against a challenge; drops it at {@value #CHALLENGE_MAX_FAILURES}. */
    void challengeFailed(String token, AdminStore.Versioned<Challenge> v) {
        Challenge c = v.value();
        String id = c.id();
        if (c.failures() + 1 >= CHALLENGE_MAX_FAILURES) {
            deleteQuietly(CHALLENGES, id, v.revision());
            return;
        }
        Challenge counted = new Challenge(id, c.organizationId(), c.username(), c.enrollment(), c.pendingSecret(),
                c.expiresAt(), c.failures() + 1);
        try {
            storage.putRecord(CHALLENGES, id, seal(CHALLENGES, id, encode(counted, mac(token))), v.revision());
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    /** Consumes a challenge (it works once); false when another request consumed it first. */
    boolean consume(AdminStore.Versioned<Challenge> v) {
        try {
            storage.deleteRecord(CHALLENGES, v.value().id(), v.revision());
            return true;
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT || e.errorCode() == ErrorCode.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------ sweeping

    /**
     * One page of {@code ns} ({@link #SESSIONS} or {@link #CHALLENGES}) from {@code cursor}: deletes the
     * records that ended by {@code now} (a session past its maximum age or idle timeout, a challenge past
     * its expiry), at most {@code maxDeletes}; a record that does not open (sealed with a key gone, or
     * edited) is left for an operator. Returns the deleted count and the next page's cursor ({@code cursor}
     * itself when the budget ran out within the page: its remaining records come again next time).
     */
    SweepPage sweepPage(String ns, Optional<String> cursor, int pageSize, int maxDeletes, Instant now) {
        Page<StoredRecord> page = storage.listRecords(ns, new PageRequest(pageSize, cursor));
        int deleted = 0;
        for (StoredRecord r : page.items()) {
            if (deleted >= maxDeletes) {
                return new SweepPage(deleted, cursor); // out of budget: this page again next time
            }
            boolean ended;
            try {
                JsonNode j = open(ns, r);
                if (SESSIONS.equals(ns)) {
                    Session s = decodeSession(j);
                    ended = !now.isBefore(s.expiresAt()) || !now.isBefore(s.lastSeenAt().plus(config.sessionIdle()));
                } else {
                    ended = !now.isBefore(decodeChallenge(j).expiresAt());
                }
            } catch (RuntimeException e) {
                continue;
            }
            if (ended) {
                deleteQuietly(ns, r.key(), r.revision());
                deleted++;
            }
        }
        return new SweepPage(deleted, page.nextCursor());
    }

    /** What {@link #sweepPage} did: records deleted, and where the next page starts (empty: the end). */
    record SweepPage(int deleted, Optional<String> next) {
    }

    // ------------------------------------------------------------------ helpers

    private void forEach(String ns, java.util.function.Consumer<StoredRecord> each) {
        Optional<String> cursor = Optional.empty();
        do {
            Page<StoredRecord> page = storage.listRecords(ns, new PageRequest(500, cursor));
            page.items().forEach(each);
            cursor = page.nextCursor();
        } while (cursor.isPresent());
    }

    private void deleteQuietly(String ns, String id, long revision) {
        try {
            storage.deleteRecord(ns, id, revision);
        } catch (VaultException e) {
            if (e.errorCode() != ErrorCode.REVISION_CONFLICT && e.errorCode() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    private byte[] mac(String token) {
        return barrier.tokenMac(token.getBytes(StandardCharsets.UTF_8));
    }

    private String generate(String prefix) {
        byte[] idBytes = new byte[8];
        byte[] secret = new byte[32];
        random.nextBytes(idBytes);
        random.nextBytes(secret);
        return prefix + HEX.formatHex(idBytes) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    private byte[] seal(String ns, String key, byte[] plain) {
        return SealedJson.seal(barrier, ns, key, plain);
    }

    private JsonNode open(String ns, StoredRecord r) {
        return SealedJson.open(barrier, ns, r);
    }

    private static byte[] encode(Session s, byte[] mac) {
        ObjectNode j = JSON.createObjectNode();
        j.put("id", s.id());
        j.put("organizationId", s.organizationId());
        j.put("username", s.username());
        j.put("createdAt", s.createdAt().toString());
        j.put("lastSeenAt", s.lastSeenAt().toString());
        j.put("expiresAt", s.expiresAt().toString());
        if (s.mfaAt() != null) {
            j.put("mfaAt", s.mfaAt().toString());
        }
        j.put("address", s.address() == null ? "" : s.address());
        j.put("mac", Base64.getEncoder().encodeToString(mac));
        return bytes(j);
    }

    private static Session decodeSession(JsonNode j) {
        String mfa = j.path("mfaAt").asText(null);
        return new Session(j.path("id").asText(), j.path("organizationId").asText(), j.path("username").asText(),
                Instant.parse(j.path("createdAt").asText()), Instant.parse(j.path("lastSeenAt").asText()),
                Instant.parse(j.path("expiresAt").asText()), mfa == null ? null : Instant.parse(mfa),
                j.path("address").asText(""));
    }

    private static byte[] encode(Challenge c, byte[] mac) {
        ObjectNode j = JSON.createObjectNode();
        j.put("id", c.id());
        j.put("organizationId", c.organizationId());
        j.put("username", c.username());
        j.put("enrollment", c.enrollment());
        if (c.pendingSecret() != null) {
            j.put("pendingSecret", Base64.getEncoder().encodeToString(c.pendingSecret()));
        }
        j.put("expiresAt", c.expiresAt().toString());
        j.put("failures", c.failures());
        j.put("mac", Base64.getEncoder().encodeToString(mac));
        return bytes(j);
    }

    private static Challenge decodeChallenge(JsonNode j) {
        String secret = j.path("pendingSecret").asText(null);
        return new Challenge(j.path("id").asText(), j.path("organizationId").asText(), j.path("username").asText(),
                j.path("enrollment").asBoolean(), secret == null ? null : Base64.getDecoder().decode(secret),
                Instant.parse(j.path("expiresAt").asText()), j.path("failures").asInt());
    }

    private static byte[] bytes(ObjectNode j) {
        try {
            return JSON.writeValueAsBytes(j);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static VaultException unauthenticated() {
        return new VaultException(ErrorCode.UNAUTHENTICATED, "missing, unknown, revoked or expired bearer token");
    }
}
