package dev.animavault.core.admin;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.config.AdminConfig;
import dev.animavault.core.service.Names;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The two-step login of admins: password ({@link #login}) then a TOTP or recovery code ({@link #mfa}),
 * giving a session; an admin without TOTP enrolls inside the same flow (the first step returns an
 * {@code otpauth://} URI, the second confirms it with a first code and returns ten recovery codes), and
 * a session can prove its second factor again ({@link #stepUp}) before sensitive operations.
 *
 * <p>Throttling: a locked account or address is answered 429 with {@code Retry-After} before any work
 * (and audited as denied); failed passwords count against the account and the address; wrong codes
 * against the address, the challenge (dropped after {@value AdminSessions#CHALLENGE_MAX_FAILURES}) and the
 * account, which {@code vault.admin.mfa-lock-threshold} wrong codes in a row lock durably for
 * {@code mfa-lock-duration} (audited as {@code admin.account.lock}). Unknown usernames cost one Argon2id
 * verification like known ones and get the same answer. Thread-safe.
 */
public final class AdminLogin {
    private static final System.Logger LOG = System.getLogger(AdminLogin.class.getName());
    /** Issuer shown by authenticator apps. */
    static final String ISSUER = "Anima Vault";

    private final AdminStore store;
    private final AdminSessions sessions;
    private final PasswordHasher hasher;
    private final LoginThrottle throttle;
    private final AdminAudit audit;
    private final Barrier barrier;
    private final AdminConfig config;
    private final Clock clock;

    /** What the first step answers: a challenge for the second, with enrollment data when not enrolled yet. */
    public record LoginResult(String challenge, Instant expiresAt, boolean enrollment, String otpauthUri,
                              String totpSecret, String session, Instant sessionExpiresAt) {
        @Override
        public String toString() {
            return "LoginResult[<masked>, enrollment=" + enrollment + "]";
        }
    }

    /** What the second step answers: the session token, and the recovery codes after an enrollment (once). */
    public record SessionResult(String session, Instant expiresAt, Duration idleTimeout, List<String> recoveryCodes,
                                String username, String role) {
        @Override
        public String toString() {
            return "SessionResult[<masked>, " + username + "]";
        }
    }

    public AdminLogin(AdminStore store, AdminSessions sessions, PasswordHasher hasher, LoginThrottle throttle,
                      AdminAudit audit, Barrier barrier, AdminConfig config, Clock clock) {
        this.store = store;
        this.sessions = sessions;
        this.hasher = hasher;
        this.throttle = throttle;
        this.audit = audit;
        this.barrier = barrier;
        this.config = config;
        this.clock = clock;
    }

    /**
     * The refusals of {@code POST /v1/auth/login} that need no request body, made before the route reads
     * it: an address in a lockout (429) and a full verification waiting room (503, see
     * {@link PasswordHasher#saturated()}, answered after {@code hash-queue-wait} like a login that waited in
     * vain). Each costs two counter reads, a parked virtual thread and one DENIED audit event, so a flood
     * past the limits is answered without parsing, account lookups or hashing, and no faster than before.
     */
    public void admit(String requestId, String address) {
        long wait = throttle.retryAfter(null, address);
        if (wait > 0) {
            audit.denied(new AdminAudit.Actor(null, "anonymous", requestId, address), "admin.login",
                    ErrorCode.RATE_LIMITED, Map.of());
            throw throttled("too many failed logins from this address; retry after " + wait + " s", wait);
        }
        if (hasher.saturated()) {
            // answered after the time a waiting login would have waited, parked (no CPU, no permit, no body
            // read): an immediate 503 lets a flooding client that retries at once send thousands of
            // requests a second, and serving those costs the read path more than parked connections do
            java.util.concurrent.locks.LockSupport.parkNanos(hasher.refusalDelay().toNanos());
            audit.denied(new AdminAudit.Actor(null, "anonymous", requestId, address), "admin.login",
                    ErrorCode.UNAVAILABLE, Map.of());
            throw PasswordHasher.busy();
        }
    }

    /** {@code POST /v1/auth/login}. */
    public LoginResult login(String org, String username, char[] password, String requestId, String address) {
        if (!Names.isIdentityId(org) || username == null || !AdminAccount.USERNAME.matcher(username).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "organizationId and username are required "
                    + "(usernames match " + AdminAccount.USERNAME.pattern() + ")");
        }
        AdminAudit.Actor who = new AdminAudit.Actor(org, "anonymous", requestId, address);
        Map<String, String> details = Map.of("username", username);
        String accountKey = org + "/" + username;
        long wait = throttle.retryAfter(accountKey, address);
        if (wait > 0) {
            audit.denied(who, "admin.login", ErrorCode.RATE_LIMITED, details);
            throw throttled("too many failed logins for this account or address; retry after " + wait + " s", wait);
        }
        return audit.change(who, "admin.login", details, out -> {
            Optional<AdminStore.Versioned<AdminAccount>> found = store.account(org, username);
            AdminAccount a = found.map(AdminStore.Versioned::value).orElse(null);
            if (a != null && a.lockedAt(clock.instant())) {
                long s = Duration.between(clock.instant(), a.lockedUntil()).toSeconds() + 1;
                throw throttled("this account is locked after too many wrong codes; retry after " + s + " s", s);
            }
            boolean ok = hasher.verify(a == null ? null : a.passwordHash(), password);
            if (!ok || a.disabled() || sessions.organizationDisabled(org)) {
                long lock = throttle.failure(a == null ? null : accountKey, address);
                if (lock > 0) {
                    out.put("lockout", lock + "s");
                }
                throw new VaultException(ErrorCode.UNAUTHENTICATED, "wrong organization, username or password");
            }
            throttle.success(accountKey);
            if (a.mfaEnrolled()) {
                AdminSessions.Issued<AdminSessions.Challenge> c = sessions.challenge(a, null);
                out.put("next", "mfa");
                return new LoginResult(c.token(), c.record().expiresAt(), false, null, null, null, null);
            }
            if (config.mfaRequired()) {
                byte[] secret = Totp.newSecret();
                AdminSessions.Issued<AdminSessions.Challenge> c = sessions.challenge(a, secret);
                out.put("next", "enroll");
                return new LoginResult(c.token(), c.record().expiresAt(), true,
                        Totp.otpauthUri(ISSUER, org + "/" + username, secret), Totp.base32(secret), null, null);
            }
            // vault.admin.mfa-required=false and not enrolled: the password alone opens a session
            AdminSessions.Issued<AdminSessions.Session> s = sessions.start(a, clock.instant(), address);
            out.put("next", "session");
            out.put("session", s.record().id());
            return new LoginResult(null, null, false, null, null, s.token(), s.record().expiresAt());
        });
    }

    /** {@code POST /v1/auth/mfa}: a TOTP code (6 digits) or a recovery code completes the login. */
    public SessionResult mfa(String challengeToken, String code, String requestId, String address) {
        AdminAudit.Actor anonymous = new AdminAudit.Actor(null, "anonymous", requestId, address);
        long addressWait = throttle.retryAfter(null, address);
        if (addressWait > 0) {
            audit.denied(anonymous, "admin.mfa", ErrorCode.RATE_LIMITED, Map.of());
            throw throttled("too many failures from this address; retry after " + addressWait + " s", addressWait);
        }
        AdminStore.Versioned<AdminSessions.Challenge> v;
        try {
            v = sessions.challenge(challengeToken);
        } catch (VaultException e) {
            throttle.failure(null, address);
            audit.denied(anonymous, "admin.mfa", e.errorCode(), Map.of());
            throw e;
        }
        AdminSessions.Challenge c = v.value();
        AdminAudit.Actor who = new AdminAudit.Actor(c.organizationId(), "anonymous", requestId, address);
        String accountKey = c.organizationId() + "/" + c.username();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("username", c.username());
        long wait = throttle.retryAfter(accountKey, address);
        if (wait > 0) {
            audit.denied(who, c.enrollment() ? "admin.mfa.enroll" : "admin.mfa", ErrorCode.RATE_LIMITED, details);
            throw throttled("too many failures from this address; retry after " + wait + " s", wait);
        }
        if (c.enrollment()) {
            return audit.change(who, "admin.mfa.enroll", details, out -> enroll(challengeToken, v, code, address, out));
        }
        boolean recovery = RecoveryCodes.looksLike(code);
        details.put("method", recovery ? "recovery_code" : "totp");
        return audit.change(who, recovery ? "admin.mfa.recovery" : "admin.mfa", details, out -> {
            AdminStore.Versioned<AdminAccount> account = liveAccount(c);
            Instant now = clock.instant();
            Optional<AdminAccount> used = recovery ? useRecoveryCode(account, code, now) : useTotp(account, code, now);
            if (used.isEmpty()) {
                wrongCode(who, challengeToken, v, account, address, out);
                throw new VaultException(ErrorCode.UNAUTHENTICATED, "wrong or already used code");
            }
            if (!sessions.consume(v)) {
                throw new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again");
            }
            if (recovery) {
                out.put("recoveryCodesLeft", Integer.toString(used.get().recoveryCodes().size()));
            }
            AdminSessions.Issued<AdminSessions.Session> s = sessions.start(used.get(), now, address);
            out.put("session", s.record().id());
            return result(s, List.of(), used.get());
        });
    }

    /** {@code POST /v1/auth/step-up}: a session proves a TOTP code again, for sensitive operations. */
    public Instant stepUp(dev.animavault.core.service.RequestContext ctx, String code) {
        if (ctx.principal().kind() != dev.animavault.core.auth.Principal.Kind.ADMIN) {
            // an API key is valid but has no session to step up: refused (403, audited), not "unknown token"
            audit.denied(new AdminAudit.Actor(ctx.principal().organizationId(), ctx.principal().actor(),
                    ctx.requestId(), ctx.remoteAddress()), "admin.mfa.step_up", ErrorCode.PERMISSION_DENIED, Map.of());
            throw new VaultException(ErrorCode.PERMISSION_DENIED, "only an admin session steps up; this is "
                    + ctx.principal().kind().name().toLowerCase(java.util.Locale.ROOT));
        }
        AdminSessions.Session s = sessions.byId(ctx.principal().tokenId()).orElseThrow(AdminSessions::unauthenticated);
        AdminAudit.Actor who = new AdminAudit.Actor(s.organizationId(), ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress());
        Map<String, String> details = Map.of("username", s.username(), "session", s.id());
        long wait = throttle.retryAfter(s.organizationId() + "/" + s.username(), ctx.remoteAddress());
        if (wait > 0) {
            audit.denied(who, "admin.mfa.step_up", ErrorCode.RATE_LIMITED, details);
            throw throttled("too many failures; retry after " + wait + " s", wait);
        }
        return audit.change(who, "admin.mfa.step_up", details, out -> {
            AdminStore.Versioned<AdminAccount> account = store.account(s.organizationId(), s.username())
                    .filter(a -> !a.value().disabled()).orElseThrow(AdminSessions::unauthenticated);
            Instant now = clock.instant();
            if (!account.value().mfaEnrolled()) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "this account has no TOTP enrolled; log in again "
                        + "to enroll");
            }
            if (useTotp(account, code, now).isEmpty()) {
                wrongCode(who, null, null, account, ctx.remoteAddress(), out);
                throw new VaultException(ErrorCode.UNAUTHENTICATED, "wrong or already used code");
            }
            sessions.refreshMfa(s.id(), now);
            return now;
        });
    }

    private SessionResult enroll(String challengeToken, AdminStore.Versioned<AdminSessions.Challenge> v, String code,
                                 String address, Map<String, String> out) {
        AdminSessions.Challenge c = v.value();
        AdminStore.Versioned<AdminAccount> account = liveAccount(c);
        Instant now = clock.instant();
        OptionalLong step = Totp.match(c.pendingSecret(), code, now, -1);
        if (step.isEmpty()) {
            sessions.challengeFailed(challengeToken, v);
            throttle.failure(null, address);
            throw new VaultException(ErrorCode.UNAUTHENTICATED, "wrong code: enter the code the authenticator app shows "
                    + "for the enrolled secret");
        }
        if (account.value().mfaEnrolled()) {
            throw new VaultException(ErrorCode.ALREADY_EXISTS, "this account enrolled TOTP meanwhile; log in again");
        }
        if (!sessions.consume(v)) {
            throw new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; log in again");
        }
        List<String> codes = RecoveryCodes.generate();
        List<String> hashes = codes.stream().map(x -> RecoveryCodes.hash(x, barrier::tokenMac)).toList();
        AdminAccount enrolled = account.value().withMfa(c.pendingSecret(), step.getAsLong(), hashes, now);
        store.replace(enrolled, account.revision());
        AdminSessions.Issued<AdminSessions.Session> s = sessions.start(enrolled, now, address);
        out.put("session", s.record().id());
        out.put("recoveryCodesIssued", Integer.toString(codes.size()));
        return result(s, codes, enrolled);
    }

    /** The account of a challenge, refusing when it is gone, disabled or locked. */
    private AdminStore.Versioned<AdminAccount> liveAccount(AdminSessions.Challenge c) {
        AdminStore.Versioned<AdminAccount> a = store.account(c.organizationId(), c.username())
                .filter(x -> !x.value().disabled())
                .orElseThrow(() -> new VaultException(ErrorCode.UNAUTHENTICATED, "unknown or expired login challenge; "
                        + "log in again"));
        if (a.value().lockedAt(clock.instant())) {
            long s = Duration.between(clock.instant(), a.value().lockedUntil()).toSeconds() + 1;
            throw throttled("this account is locked after too many wrong codes; retry after " + s + " s", s);
        }
        return a;
    }

    /**
     * Accepts a TOTP code once: the step it belongs to must be later than the last one used, and writing
     * that step back must win the revision race (two nodes given the same code: one wins).
     */
    private Optional<AdminAccount> useTotp(AdminStore.Versioned<AdminAccount> account, String code, Instant now) {
        AdminAccount a = account.value();
        byte[] secret = a.totpSecret();
        try {
            OptionalLong step = Totp.match(secret, code, now, a.lastTotpStep());
            if (step.isEmpty()) {
                return Optional.empty();
            }
            AdminAccount used = a.withCodeUsed(step.getAsLong(), a.recoveryCodes(), now);
            return commit(used, account.revision());
        } finally {
            if (secret != null) {
                java.util.Arrays.fill(secret, (byte) 0);
            }
        }
    }

    private Optional<AdminAccount> useRecoveryCode(AdminStore.Versioned<AdminAccount> account, String code, Instant now) {
        AdminAccount a = account.value();
        int i = RecoveryCodes.find(a.recoveryCodes(), code, barrier::tokenMac);
        if (i < 0) {
            return Optional.empty();
        }
        List<String> left = new ArrayList<>(a.recoveryCodes());
        left.remove(i);
        return commit(a.withCodeUsed(a.lastTotpStep(), left, now), account.revision());
    }

    private Optional<AdminAccount> commit(AdminAccount changed, long revision) {
        try {
            store.replace(changed, revision);
            return Optional.of(changed);
        } catch (VaultException e) {
            if (e.errorCode() == ErrorCode.REVISION_CONFLICT) {
                return Optional.empty(); // another request changed the account (used a code) first
            }
            throw e;
        }
    }

    /** A wrong code: counted on the address, the challenge and the account (which may lock). */
    private void wrongCode(AdminAudit.Actor who, String challengeToken, AdminStore.Versioned<AdminSessions.Challenge> v,
                           AdminStore.Versioned<AdminAccount> account, String address, Map<String, String> out) {
        throttle.failure(null, address);
        if (v != null) {
            sessions.challengeFailed(challengeToken, v);
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            AdminStore.Versioned<AdminAccount> cur = attempt == 0 ? account
                    : store.account(account.value().organizationId(), account.value().username()).orElse(null);
            if (cur == null) {
                return;
            }
            AdminAccount a = cur.value();
            Instant now = clock.instant();
            int failures = a.mfaFailures() + 1;
            boolean lock = failures >= config.mfaFailuresToLock();
            try {
                if (lock) {
                    Instant until = now.plus(config.mfaLockDuration());
                    Map<String, String> d = Map.of("username", a.username(), "failures", Integer.toString(failures),
                            "lockedUntil", until.toString());
                    audit.change(who, "admin.account.lock", d, x -> store.replace(a.withFailures(0, until, now),
                            cur.revision()));
                    out.put("locked", until.toString());
                    LOG.log(System.Logger.Level.WARNING, "Admin account {0}/{1} locked until {2} after {3} wrong codes",
                            a.organizationId(), a.username(), until, failures);
                } else {
                    store.replace(a.withFailures(failures, a.lockedUntil(), now), cur.revision());
                }
                out.put("mfaFailures", Integer.toString(failures));
                return;
            } catch (VaultException e) {
                if (e.errorCode() != ErrorCode.REVISION_CONFLICT) {
                    throw e;
                }
            }
        }
    }

    private SessionResult result(AdminSessions.Issued<AdminSessions.Session> s, List<String> codes, AdminAccount a) {
        return new SessionResult(s.token(), s.record().expiresAt(), config.sessionIdle(), codes, a.username(), a.role());
    }

    static VaultException throttled(String message, long seconds) {
        return new VaultException(ErrorCode.RATE_LIMITED, message, Duration.ofSeconds(Math.max(1, seconds)), null);
    }
}
