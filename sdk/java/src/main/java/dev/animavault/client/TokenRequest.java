package dev.animavault.client;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Tokens#issue} asks for: a name, the secret keys the token is limited to (empty = all of
 * the identity's secrets) and a lifetime (empty = no expiry).
 */
public record TokenRequest(Optional<String> name, List<String> keys, Optional<Duration> ttl) {
    public TokenRequest {
        name = name == null ? Optional.empty() : name;
        keys = keys == null ? List.of() : List.copyOf(keys);
        ttl = ttl == null ? Optional.empty() : ttl;
    }

    /** An unnamed, unlimited token without expiry. */
    public static TokenRequest unlimited() {
        return new TokenRequest(Optional.empty(), List.of(), Optional.empty());
    }

    public TokenRequest withName(String name) {
        return new TokenRequest(Optional.of(name), keys, ttl);
    }

    public TokenRequest withKeys(List<String> keys) {
        return new TokenRequest(name, keys, ttl);
    }

    public TokenRequest withTtl(Duration ttl) {
        return new TokenRequest(name, keys, Optional.of(ttl));
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        name.ifPresent(n -> m.put("name", n));
        if (!keys.isEmpty()) {
            m.put("keys", keys);
        }
        ttl.ifPresent(t -> m.put("ttl", t.toString())); // ISO-8601, e.g. PT1H; the API also takes 1h, 30d
        return m;
    }
}
