package dev.animavault.client;

import java.time.Instant;
import java.util.List;

/**
 * An identity token's metadata as {@link Tokens#list} shows it: never the token itself.
 *
 * @param keys      the secret keys the token is limited to; empty for all of the identity's secrets
 * @param expiresAt null for a token without expiry
 */
public record TokenInfo(String id, String identityId, String name, List<String> keys, Instant createdAt,
                        Instant expiresAt) {
    public TokenInfo {
        keys = List.copyOf(keys);
    }
}
