package dev.animavault.core.service;

import dev.animavault.core.authz.Authorizer;
import dev.animavault.core.authz.Permission;
import dev.animavault.core.auth.TokenService;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Identity tokens: issue, list (metadata only), revoke. Thread-safe. */
public final class TokenAdminService {
    private final Resources r;
    private final TokenService tokens;
    private final OperationAudit audited;
    private final Duration maxTokenTtl;

    TokenAdminService(Resources r, TokenService tokens, OperationAudit audited, Duration maxTokenTtl) {
        this.r = r;
        this.tokens = tokens;
        this.audited = audited;
        this.maxTokenTtl = Objects.requireNonNull(maxTokenTtl, "maxTokenTtl is null");
    }

    /**
     * Issues an identity token; the token string is in the result, shown once.
     *
     * @param keys the secret keys the token is limited to (1 to {@link Names#MAX_TOKEN_KEYS}); empty for a
     *             token that may read all of the identity's secrets
     * @param ttl  how long the token lives (positive, at most the configured maximum); empty for no expiry
     */
    public TokenService.Issued issueIdentityToken(RequestContext ctx, String identityId, String name,
                                                  Optional<Set<String>> keys, Optional<Duration> ttl) {
        return audited.run(ctx, "token.issue", identityId, null, null, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.TOKENS_WRITE, identityId);
            Names.tokenName(name);
            keys.ifPresent(Names::tokenKeys);
            Instant expiresAt = ttl.map(this::expiry).orElse(null);
            Identity identity = r.requireIdentity(ctx.principal().organizationId(), identityId);
            if (identity.disabled()) {
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            TokenService.Issued issued = tokens.issueIdentityToken(identity.organizationId(), identityId, name,
                    keys.orElse(Set.of()), expiresAt);
            // a concurrent disable may have listed the identity's tokens before this one was stored
            if (r.requireIdentity(identity.organizationId(), identityId).disabled()) {
                tokens.revoke(identity.organizationId(), identityId, issued.principal().tokenId());
                throw new VaultException(ErrorCode.IDENTITY_DISABLED, "identity " + identityId + " is disabled");
            }
            return issued;
        });
    }

    /** When a token issued now with {@code ttl} expires; refuses a ttl that is not positive or too long. */
    Instant expiry(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token ttl must be positive");
        }
        if (ttl.compareTo(maxTokenTtl) > 0) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token ttl is longer than the maximum of "
                    + maxTokenTtl.toDays() + " days (vault.auth.max-token-ttl)");
        }
        return r.clock.instant().plus(ttl);
    }

    /** Revokes one identity token. */
    public void revokeIdentityToken(RequestContext ctx, String identityId, String tokenId) {
        audited.run(ctx, "token.revoke", identityId, null, null, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.TOKENS_WRITE, identityId);
            if (!tokens.revoke(ctx.principal().organizationId(), identityId, tokenId)) {
                throw new VaultException(ErrorCode.NOT_FOUND, "identity " + identityId + " has no token " + tokenId);
            }
            return null;
        });
    }

    /**
     * Lists an identity's tokens (metadata only: never a token or its MAC); organization API key only,
     * audited as {@code token.list}.
     */
    public List<TokenService.TokenInfo> listIdentityTokens(RequestContext ctx, String identityId) {
        return audited.run(ctx, "token.list", identityId, null, null, () -> {
            Names.identityId(identityId);
            Authorizer.require(ctx, Permission.TOKENS_WRITE, identityId);
            r.requireIdentity(ctx.principal().organizationId(), identityId);
            return tokens.list(ctx.principal().organizationId(), identityId);
        });
    }
}
