package dev.animavault.core.authz;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A named permission inside one organization. Every endpoint asks the authorizer for one of these; a
 * principal holds a set of them (an API key's scope, an admin's role). Deny by default: what is not held is
 * refused. The wire names ({@code secrets:read}) appear in roles, API key scopes and problem details.
 */
public enum Permission {
    /** List and read identities. */
    IDENTITIES_READ("identities:read"),
    /** Create, disable and delete identities. */
    IDENTITIES_WRITE("identities:write"),
    /** Issue, list and revoke identity tokens and API keys. */
    TOKENS_WRITE("tokens:write"),
    /** List secrets and read their metadata (never a value). */
    SECRETS_LIST("secrets:list"),
    /** Read secret values. */
    SECRETS_READ("secrets:read"),
    /** Create, update and rotate secrets. */
    SECRETS_WRITE("secrets:write"),
    /** Delete secrets and destroy versions. */
    SECRETS_DELETE("secrets:delete"),
    /** Query the audit log. */
    AUDIT_READ("audit:read"),
    /** Generate compliance reports. */
    REPORTS_READ("reports:read"),
    /** List admin accounts and roles. */
    ADMINS_READ("admins:read"),
    /** Create, change and remove admin accounts, roles and MFA. */
    ADMINS_WRITE("admins:write"),
    /** Rotate the root key and the keyring. */
    KEYS_ROTATE("keys:rotate"),
    /** Read system state (plugins, keyring status). */
    SYS_READ("sys:read"),
    /** Create, list and disable organizations (instance owner only). */
    ORGS_WRITE("orgs:write");

    private static final Map<String, Permission> BY_WIRE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Permission::wire, Function.identity()));

    private final String wire;

    Permission(String wire) {
        this.wire = wire;
    }

    /** The wire name, e.g. {@code secrets:read}. */
    public String wire() {
        return wire;
    }

    /** The permission with this wire name, if any. */
    public static Optional<Permission> fromWire(String wire) {
        return Optional.ofNullable(BY_WIRE.get(wire));
    }
}
