package dev.animavault.client;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An identity token as issued: {@code token} is shown this once ({@code token().reveal()}; masked in
 * {@code toString()}). {@code keys} empty = every secret of the identity.
 */
public record IssuedToken(String id, SecretValue token, String identityId, String organizationId, String name,
                          List<String> keys, Instant createdAt, Optional<Instant> expiresAt) {
    public IssuedToken {
        keys = List.copyOf(keys);
    }
}
