package dev.animavault.core.authz;

import java.util.EnumSet;
import java.util.Set;

/** The built-in roles of an organization's admin accounts (custom roles are plain permission sets). */
public enum Role {
    /**
     * Everything inside the organization. Not {@code keys:rotate}: the keyring and the root key are
     * instance-wide, so only the instance owner (the key {@code init} or the bootstrap token makes, and keys
     * it grants {@code keys:rotate} to) rotates them.
     */
    OWNER(EnumSet.complementOf(EnumSet.of(Permission.ORGS_WRITE, Permission.KEYS_ROTATE))),
    /** Day-to-day administration: everything but admin accounts and keys. */
    ADMIN(EnumSet.complementOf(EnumSet.of(Permission.ORGS_WRITE, Permission.ADMINS_WRITE, Permission.KEYS_ROTATE))),
    /** Reads audit logs, reports and metadata; never a secret value. */
    AUDITOR(EnumSet.of(Permission.IDENTITIES_READ, Permission.SECRETS_LIST, Permission.AUDIT_READ,
            Permission.REPORTS_READ, Permission.ADMINS_READ, Permission.SYS_READ));

    private final Set<Permission> permissions;

    Role(Set<Permission> permissions) {
        this.permissions = Set.copyOf(permissions);
    }

    /** This role's permissions. */
    public Set<Permission> permissions() {
        return permissions;
    }

    /** The wire name, e.g. {@code auditor}. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
