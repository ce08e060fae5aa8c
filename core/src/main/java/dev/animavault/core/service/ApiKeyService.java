package dev.animavault.core.service;

import dev.animavault.core.auth.ApiKeyRecords;
import dev.animavault.core.auth.Principal;
import dev.animavault.core.auth.TokenService;
import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Scoped organization API keys ({@code tokens:write}): create one with a permission set, an optional expiry
 * and an optional identity scope; list them (never the key); revoke one. A key never grants what its
 * creator lacks, and a key is revoked only by a caller holding all of its permissions (so an admin key
 * cannot revoke the owner key). Audited {@code apikey.create|list|revoke}. Thread-safe.
 */
public final class ApiKeyService {
    private final Resources r;
    private final TokenService tokens;
    private final OperationAudit audited;
    private final TokenAdminService identityTokens;

    ApiKeyService(Resources r, TokenService tokens, OperationAudit audited, TokenAdminService identityTokens) {
        this.r = r;
        this.tokens = tokens;
        this.audited = audited;
        this.identityTokens = identityTokens;
    }

    /**
     * Creates an API key in the caller's organization; the key string is in the result, shown once.
     *
     * @param permissions   wire names ({@code secrets:read}, ...); at least one, each held by the caller
     * @param ttl           how long it lives (at most {@code vault.auth.max-token-ttl}); empty: no expiry
     * @param identityScope the one identity it may act on; empty: the whole organization
     */
    public TokenService.Issued create(RequestContext ctx, String name, Set<String> permissions, Optional<Duration> ttl,
                                      Optional<String> identityScope) {
        Map<String, String> details = Map.of("permissions", String.join(",", new TreeSet<>(permissions)));
        return audited.run(ctx, "apikey.create", identityScope.orElse(null), null, null, details, () -> {
            Principal creator = ctx.principal();
            String scope = identityScope.orElse(null);
            if (scope != null) {
                Names.identityId(scope);
                Authorizer.require(ctx, Permission.TOKENS_WRITE, scope);
            } else {
                Authorizer.require(ctx, Permission.TOKENS_WRITE);
            }
            Names.tokenName(name);
            Set<Permission> granted = parse(permissions);
            Set<Permission> missing = EnumSet.copyOf(granted);
            missing.removeAll(creator.permissions());
            if (!missing.isEmpty()) {
                throw Authorizer.denied("an API key cannot grant permissions its creator lacks: "
                        + wires(missing));
            }
            Instant expiresAt = ttl.map(identityTokens::expiry).orElse(null);
            if (scope != null) {
                Identity identity = r.requireIdentity(creator.organizationId(), scope);
                if (identity.disabled()) {
                    throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + scope + " is disabled");
                }
            }
            return tokens.issueApiKey(creator.organizationId(), name, granted, scope, expiresAt);
        }, issued -> Map.of("apiKey", issued.principal().tokenId()));
    }

    /** The organization's API keys (metadata only). */
    public List<ApiKeyRecords.ApiKeyInfo> list(RequestContext ctx) {
        return audited.run(ctx, "apikey.list", null, null, null, () -> {
            Authorizer.require(ctx, Permission.TOKENS_WRITE);
            return tokens.apiKeys().listApiKeys(ctx.principal().organizationId());
        });
    }

    /** Revokes one of the organization's API keys; refused when it holds a permission the caller lacks. */
    public void revoke(RequestContext ctx, String id) {
        audited.run(ctx, "apikey.revoke", null, null, null, Map.of("apiKey", id == null || id.length() > 64
                ? "-" : id), () -> {
            Authorizer.require(ctx, Permission.TOKENS_WRITE);
            String org = ctx.principal().organizationId();
            ApiKeyRecords.ApiKeyInfo key = tokens.apiKeys().apiKey(org, id).orElseThrow(() -> new VaultException(
                    ErrorCode.NOT_FOUND, "the organization has no API key " + id));
            Set<Permission> missing = key.permissions().isEmpty() ? EnumSet.noneOf(Permission.class)
                    : EnumSet.copyOf(key.permissions());
            missing.removeAll(ctx.principal().permissions());
            if (!missing.isEmpty()) {
                throw Authorizer.denied("API key " + id + " holds permissions the caller lacks: " + wires(missing));
            }
            if (!tokens.apiKeys().revokeApiKey(org, id)) {
                throw new VaultException(ErrorCode.NOT_FOUND, "the organization has no API key " + id);
            }
            return null;
        });
    }

    private static Set<Permission> parse(Set<String> wires) {
        if (wires.isEmpty()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "'permissions' must name at least one permission");
        }
        Set<Permission> out = EnumSet.noneOf(Permission.class);
        for (String w : wires) {
            out.add(Permission.fromWire(w).orElseThrow(() -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                    "unknown permission '" + (w.length() > 40 ? w.substring(0, 40) + "..." : w) + "'; known: "
                    + wires(EnumSet.allOf(Permission.class)))));
        }
        return out;
    }

    private static String wires(Set<Permission> permissions) {
        return permissions.stream().map(Permission::wire).sorted().collect(Collectors.joining(", "));
    }
}
