package dev.animavault.core.admin;

import dev.animavault.core.auth.Principal;
import dev.animavault.core.authz.Permission;
import java.util.Map;
import java.util.Optional;

/**
 * Interim: the permission each existing API action needs when an admin session calls it, checked where
 * the bearer token is resolved, until the single authorizer (issue 13, other half) asks every endpoint
 * itself. Deny by default: an action not listed here is refused to admin sessions. API keys and identity
 * tokens are not affected (the service checks them as before). Stateless.
 */
public final class SessionGate {
    private static final Map<String, Permission> ACTIONS = Map.ofEntries(
            Map.entry("secret.read", Permission.SECRETS_READ),
            Map.entry("secret.list", Permission.SECRETS_LIST),
            Map.entry("secret.create", Permission.SECRETS_WRITE),
            Map.entry("secret.update", Permission.SECRETS_WRITE),
            Map.entry("secret.delete", Permission.SECRETS_DELETE),
            Map.entry("secret.rotation.policy", Permission.SECRETS_WRITE),
            Map.entry("secret.rotation.trigger", Permission.SECRETS_WRITE),
            Map.entry("secret.rotation.deliveries", Permission.SECRETS_LIST),
            Map.entry("rotation.signing-secret.rotate", Permission.SECRETS_WRITE),
            Map.entry("identity.create", Permission.IDENTITIES_WRITE),
            Map.entry("identity.disable", Permission.IDENTITIES_WRITE),
            Map.entry("identity.list", Permission.IDENTITIES_READ),
            Map.entry("identity.read", Permission.IDENTITIES_READ),
            Map.entry("token.issue", Permission.TOKENS_WRITE),
            Map.entry("token.list", Permission.TOKENS_WRITE),
            Map.entry("token.revoke", Permission.TOKENS_WRITE),
            Map.entry("audit.query", Permission.AUDIT_READ),
            Map.entry("audit.report", Permission.REPORTS_READ),
            Map.entry("plugin.list", Permission.SYS_READ));

    private SessionGate() {
    }

    /** The permission an action needs, if the action is known. */
    public static Optional<Permission> permissionFor(String action) {
        return Optional.ofNullable(ACTIONS.get(action));
    }

    /** Whether an admin session may run the action (other principal kinds: always, the service decides). */
    public static boolean permits(Principal principal, String action) {
        if (principal.kind() != Principal.Kind.ADMIN || action.startsWith("admin.")) {
            return true; // admin.* actions are the admin package's own, which checks them itself
        }
        return permissionFor(action).map(principal::holds).orElse(false);
    }
}
