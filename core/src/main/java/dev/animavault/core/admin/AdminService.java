package dev.animavault.core.admin;

import dev.animavault.core.auth.Principal;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Managing admin accounts, custom roles and one's own sessions. Creating and changing accounts and roles
 * and resetting MFA need {@code admins:write} and, from an admin session, a second factor proved within
 * {@code vault.admin.sensitive-mfa-max-age}; nobody can grant a role holding a permission they do not hold
 * themselves. Listing needs {@code admins:read}. Every call is audited ({@link AdminAudit}). Thread-safe.
 */
public final class AdminService {
    private static final String OWNER_ROLE = dev.animavault.core.authz.Role.OWNER.wire();
    private final AdminStore store;
    private final AdminSessions sessions;
    private final PasswordHasher hasher;
    private final AdminAudit audit;
    private final Clock clock;

    /** An account as shown: never the password hash, secret or recovery codes. */
    public record AdminView(String organizationId, String username, String role, Set<String> permissions,
                            boolean disabled, boolean mfaEnrolled, int recoveryCodesLeft, Instant lockedUntil,
                            Instant createdAt, Instant updatedAt) {
    }

    public AdminService(AdminStore store, AdminSessions sessions, PasswordHasher hasher, AdminAudit audit, Clock clock) {
        this.store = store;
        this.sessions = sessions;
        this.hasher = hasher;
        this.audit = audit;
        this.clock = clock;
    }

    /** Creates an admin account in the caller's organization. */
    public AdminView create(RequestContext ctx, String username, char[] password, String role) {
        String org = ctx.principal().organizationId();
        return audit.change(who(ctx), "admin.create", Map.of("username", safe(username), "role", safe(role)), out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            username(username);
            requireGrantable(ctx.principal(), org, role);
            requirePassword(password);
            Instant now = clock.instant();
            AdminAccount a = new AdminAccount(org, username, role, false, hasher.hash(password), null, -1, List.of(), 0,
                    null, now, now);
            store.create(a);
            return view(a);
        });
    }

    /** The organization's admins. */
    public List<AdminView> list(RequestContext ctx) {
        return audit.read(who(ctx), "admin.list", Map.of(), () -> {
            require(ctx.principal(), Permission.ADMINS_READ);
            return store.accounts(ctx.principal().organizationId()).stream().map(this::view).toList();
        });
    }

    /** One admin. */
    public AdminView get(RequestContext ctx, String username) {
        return audit.read(who(ctx), "admin.read", Map.of("username", safe(username)), () -> {
            require(ctx.principal(), Permission.ADMINS_READ);
            return view(existing(ctx, username).value());
        });
    }

    /**
     * Changes an account's role, disabled flag or password (each optional). Disabling ends its sessions;
     * a role change applies to its sessions at their next request.
     */
    public AdminView update(RequestContext ctx, String username, Optional<String> role, Optional<Boolean> disabled,
                            Optional<char[]> password) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("username", safe(username));
        role.ifPresent(r -> details.put("role", safe(r)));
        disabled.ifPresent(d -> details.put("disabled", d.toString()));
        password.ifPresent(p -> details.put("password", "changed"));
        return audit.change(who(ctx), "admin.update", details, out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            AdminStore.Versioned<AdminAccount> v = existing(ctx, username);
            AdminAccount a = v.value();
            Instant now = clock.instant();
            // changing someone holding more than oneself would let a lesser admin lock out or demote an owner
            requireGrantable(ctx.principal(), a.organizationId(), a.role());
            if (role.isPresent() && !role.get().equals(a.role())) {
                requireGrantable(ctx.principal(), a.organizationId(), role.get());
                out.put("previousRole", a.role());
                a = a.withRole(role.get(), now);
            }
            if (disabled.isPresent()) {
                a = a.withDisabled(disabled.get(), now);
            }
            if (password.isPresent()) {
                requirePassword(password.get());
                a = a.withPasswordHash(hasher.hash(password.get()), now);
            }
            store.replace(a, v.revision());
            if (a.disabled() || password.isPresent()) {
                out.put("sessionsEnded", Integer.toString(sessions.endAll(a.organizationId(), a.username())));
            }
            return view(a);
        });
    }

    /** Removes an account's TOTP and recovery codes (it enrolls again at its next login) and ends its sessions. */
    public AdminView resetMfa(RequestContext ctx, String username) {
        return audit.change(who(ctx), "admin.mfa.reset", Map.of("username", safe(username)), out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            AdminStore.Versioned<AdminAccount> v = existing(ctx, username);
            requireGrantable(ctx.principal(), v.value().organizationId(), v.value().role());
            AdminAccount reset = v.value().withMfa(null, -1, List.of(), clock.instant());
            store.replace(reset, v.revision());
            out.put("sessionsEnded", Integer.toString(sessions.endAll(reset.organizationId(), reset.username())));
            return view(reset);
        });
    }

    /**
     * Deletes an account and ends its sessions. Refused ({@code IN_USE}, 409) for the organization's last
     * enabled owner account: nobody could then manage owners by login.
     */
    public void delete(RequestContext ctx, String username) {
        audit.change(who(ctx), "admin.delete", Map.of("username", safe(username)), out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            AdminStore.Versioned<AdminAccount> v = existing(ctx, username);
            AdminAccount a = v.value();
            requireGrantable(ctx.principal(), a.organizationId(), a.role());
            if (OWNER_ROLE.equals(a.role()) && !a.disabled() && store.accounts(a.organizationId()).stream()
                    .noneMatch(o -> OWNER_ROLE.equals(o.role()) && !o.disabled() && !o.username().equals(a.username()))) {
                throw new VaultException(ErrorCode.IN_USE, "admin " + a.username() + " is the organization's last "
                        + "enabled owner; make another owner first");
            }
            store.deleteAccount(a, v.revision());
            out.put("role", a.role());
            out.put("sessionsEnded", Integer.toString(sessions.endAll(a.organizationId(), a.username())));
            return null;
        });
    }

    /**
     * Deletes a custom role of the caller's organization. Refused ({@code IN_USE}, 409, naming how many)
     * while an account, enabled or disabled, has it; the caller must hold each of its permissions.
     */
    public void deleteRole(RequestContext ctx, String name) {
        audit.change(who(ctx), "admin.role.delete", Map.of("role", safe(name)), out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            AdminStore.customRoleName(name);
            String org = ctx.principal().organizationId();
            AdminStore.Versioned<AdminStore.CustomRole> role = store.role(org, name).orElseThrow(() ->
                    new VaultException(ErrorCode.NOT_FOUND, "role " + name + " does not exist"));
            requireGrantable(ctx.principal(), org, name);
            long holders = store.accounts(org).stream().filter(a -> name.equals(a.role())).count();
            if (holders > 0) {
                throw new VaultException(ErrorCode.IN_USE, "role " + name + " is assigned to " + holders + " admin"
                        + (holders == 1 ? "" : "s") + "; give them another role first");
            }
            store.deleteRole(org, name, role.revision());
            return null;
        });
    }

    /** Creates or replaces a custom role of the caller's organization. */
    public AdminStore.CustomRole putRole(RequestContext ctx, String name, List<String> permissions) {
        return audit.change(who(ctx), "admin.role.put", Map.of("role", safe(name), "permissions",
                String.join(",", permissions.stream().map(AdminService::safe).toList())), out -> {
            require(ctx.principal(), Permission.ADMINS_WRITE);
            sessions.requireRecentMfa(ctx.principal());
            AdminStore.customRoleName(name);
            Set<Permission> perms = AdminStore.parsePermissions(permissions);
            for (Permission p : perms) {
                if (!ctx.principal().holds(p)) {
                    throw new VaultException(ErrorCode.PERMISSION_DENIED, "a role cannot grant " + p.wire()
                            + ", which the caller does not hold");
                }
            }
            AdminStore.CustomRole role = new AdminStore.CustomRole(ctx.principal().organizationId(), name, perms,
                    clock.instant());
            store.putRole(role);
            return role;
        });
    }

    /** The organization's custom roles. */
    public List<AdminStore.CustomRole> roles(RequestContext ctx) {
        return audit.read(who(ctx), "admin.role.list", Map.of(), () -> {
            require(ctx.principal(), Permission.ADMINS_READ);
            return store.roles(ctx.principal().organizationId());
        });
    }

    /** The caller's own live sessions (admin sessions only). */
    public List<AdminSessions.Session> ownSessions(RequestContext ctx) {
        AdminSessions.Session me = ownSession(ctx, "admin.session.list");
        return audit.read(who(ctx), "admin.session.list", Map.of("username", me.username()),
                () -> sessions.sessionsOf(me.organizationId(), me.username()));
    }

    /** Ends one of the caller's own sessions (its own included); {@code NOT_FOUND} for anyone else's. */
    public void revokeOwn(RequestContext ctx, String sessionId) {
        AdminSessions.Session me = ownSession(ctx, "admin.session.revoke");
        audit.change(who(ctx), "admin.session.revoke", Map.of("username", me.username(), "session", safe(sessionId)),
                out -> {
                    AdminSessions.Session target = sessions.byId(sessionId)
                            .filter(s -> s.organizationId().equals(me.organizationId())
                                    && s.username().equals(me.username()))
                            .orElseThrow(() -> new VaultException(ErrorCode.NOT_FOUND, "you have no session "
                                    + safe(sessionId)));
                    sessions.end(target.id());
                    return null;
                });
    }

    /** Ends the caller's session. */
    public void logout(RequestContext ctx) {
        AdminSessions.Session me = ownSession(ctx, "admin.logout");
        audit.change(who(ctx), "admin.logout", Map.of("username", me.username(), "session", me.id()), out -> {
            sessions.end(me.id());
            return null;
        });
    }

    /** The caller's session; another kind of principal is refused, and the refusal is audited as {@code action}. */
    private AdminSessions.Session ownSession(RequestContext ctx, String action) {
        if (ctx.principal().kind() != Principal.Kind.ADMIN) {
            audit.denied(who(ctx), action, ErrorCode.PERMISSION_DENIED, Map.of());
            throw new VaultException(ErrorCode.PERMISSION_DENIED, "only an admin session has sessions; this is "
                    + ctx.principal().kind().name().toLowerCase(java.util.Locale.ROOT));
        }
        return sessions.byId(ctx.principal().tokenId()).orElseThrow(AdminSessions::unauthenticated);
    }

    private AdminStore.Versioned<AdminAccount> existing(RequestContext ctx, String username) {
        username(username);
        return store.account(ctx.principal().organizationId(), username).orElseThrow(() -> new VaultException(
                ErrorCode.NOT_FOUND, "no admin " + username));
    }

    /** A role may be given (or its holder changed) only by someone holding every permission it grants. */
    private void requireGrantable(Principal caller, String org, String role) {
        if (role == null || !store.roleExists(org, role)) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "role '" + safe(role) + "' is neither owner, admin, "
                    + "auditor nor a custom role of this organization");
        }
        for (Permission p : store.permissions(org, role)) {
            if (!caller.holds(p)) {
                throw new VaultException(ErrorCode.PERMISSION_DENIED, "role " + role + " holds " + p.wire()
                        + ", which the caller does not hold");
            }
        }
    }

    /** The one permission check of this class: the authorizer's. */
    private static void require(Principal principal, Permission permission) {
        dev.animavault.core.authz.Authorizer.require(principal, permission);
    }

    private static void username(String username) {
        if (username == null || !AdminAccount.USERNAME.matcher(username).matches()) {
            throw new VaultException(ErrorCode.INVALID_NAME, "usernames match " + AdminAccount.USERNAME.pattern());
        }
    }

    private static void requirePassword(char[] password) {
        if (password == null || password.length < PasswordHasher.MIN_PASSWORD_LENGTH) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "passwords have at least "
                    + PasswordHasher.MIN_PASSWORD_LENGTH + " characters");
        }
    }

    /** A caller-given name as it may appear in audit details: short and printable, else a placeholder. */
    private static String safe(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 64 && s.chars().allMatch(c -> c > 32 && c < 127) ? s : "<invalid>";
    }

    private AdminView view(AdminAccount a) {
        Set<String> perms = new java.util.TreeSet<>();
        store.permissions(a.organizationId(), a.role()).forEach(p -> perms.add(p.wire()));
        return new AdminView(a.organizationId(), a.username(), a.role(), perms, a.disabled(), a.mfaEnrolled(),
                a.recoveryCodes().size(), a.lockedAt(clock.instant()) ? a.lockedUntil() : null, a.createdAt(),
                a.updatedAt());
    }

    private static AdminAudit.Actor who(RequestContext ctx) {
        return new AdminAudit.Actor(ctx.principal().organizationId(), ctx.principal().actor(), ctx.requestId(),
                ctx.remoteAddress());
    }
}
