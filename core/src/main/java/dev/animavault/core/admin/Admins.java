package dev.animavault.core.admin;

import dev.animavault.core.audit.AuditBroker;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.config.AdminConfig;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.StorageBackend;
import java.time.Clock;
import java.util.Map;

/**
 * Human admin accounts of a node, wired once: the store, the password hasher and its limit, the login
 * throttle, sessions, the login flow and account management. The HTTP layer resolves {@code avs_} bearer
 * tokens through {@link #sessions()} and asks {@link #gate} before running an existing action for an
 * admin session. Created by the node after the barrier and the audit broker; {@link #close()} stops the
 * password-hashing threads.
 */
public final class Admins implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Admins.class.getName());

    private final AdminConfig config;
    private final AdminSessions sessions;
    private final AdminLogin login;
    private final AdminService service;
    private final AdminAudit audit;
    private final PasswordHasher hasher;
    private final AdminStore store;
    private final AdminSweeper sweeper;

    public Admins(StorageBackend storage, Barrier barrier, AuditBroker broker, AdminConfig config, Clock clock) {
        this(storage, barrier, broker, config, clock, org -> false);
    }

    /**
     * @param organizationDisabled whether an organization is disabled: its admins can neither log in nor use
     *                             their sessions (asked at each login and session verification)
     */
    public Admins(StorageBackend storage, Barrier barrier, AuditBroker broker, AdminConfig config, Clock clock,
                  java.util.function.Predicate<String> organizationDisabled) {
        this.config = config;
        this.store = new AdminStore(storage, barrier);
        this.hasher = new PasswordHasher(config);
        this.audit = new AdminAudit(broker, clock);
        this.sessions = new AdminSessions(storage, barrier, store, config, clock, organizationDisabled);
        this.login = new AdminLogin(store, sessions, hasher, new LoginThrottle(config, clock), audit, barrier, config,
                clock);
        this.service = new AdminService(store, sessions, hasher, audit, clock);
        this.sweeper = new AdminSweeper(sessions, clock, AdminSweeper.INTERVAL);
        if (!config.mfaRequired()) {
            LOG.log(System.Logger.Level.WARNING, "vault.admin.mfa-required is false: admins without TOTP log in with "
                    + "a password alone. Enable it unless something else (an SSO proxy) provides a second factor.");
        }
        if (config.argon2MemoryKib() < AdminConfig.DEFAULTS.argon2MemoryKib()
                || config.argon2Iterations() < AdminConfig.DEFAULTS.argon2Iterations()) {
            LOG.log(System.Logger.Level.WARNING, "vault.admin.argon2 is below OWASP''s minimum (m=19456 KiB, t=2, p=1)");
        }
    }

    /**
     * The organization's enabled admin accounts as compliance reports see them ("admins without MFA"): name
     * and whether TOTP is enrolled, never a credential. Last logins are not recorded yet (null).
     */
    public dev.animavault.core.report.AdminAccounts reportView() {
        return org -> store.accounts(org).stream().filter(a -> !a.disabled())
                .map(a -> new dev.animavault.core.report.AdminAccounts.Admin(a.username(), a.username(),
                        a.mfaEnrolled(), null))
                .toList();
    }

    public AdminConfig config() {
        return config;
    }

    /** Session tokens: verification and the recent-MFA check of sensitive operations. */
    public AdminSessions sessions() {
        return sessions;
    }

    /** The login flow. */
    public AdminLogin login() {
        return login;
    }

    /** Accounts, roles and one's own sessions. */
    public AdminService service() {
        return service;
    }

    /** Deletes ended sessions and expired login challenges; {@link AdminSweeper#start()}ed by a serving node. */
    public AdminSweeper sweeper() {
        return sweeper;
    }

    /** The node's password hasher (tests: its verification limit). */
    PasswordHasher hasher() {
        return hasher;
    }

    @Override
    public void close() {
        sweeper.close();
        hasher.close();
    }
}
