package dev.animavault.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** What {@link Identities#create} creates: an id, a display name (default the id) and metadata. */
public record NewIdentity(String id, Optional<String> name, Map<String, String> metadata) {
    public NewIdentity {
        Objects.requireNonNull(id, "id is null");
        name = name == null ? Optional.empty() : name;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    public static NewIdentity of(String id) {
        return new NewIdentity(id, Optional.empty(), Map.of());
    }

    public static NewIdentity of(String id, String name) {
        return new NewIdentity(id, Optional.ofNullable(name), Map.of());
    }

    public NewIdentity withMetadata(Map<String, String> metadata) {
        return new NewIdentity(id, name, metadata);
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        name.ifPresent(n -> m.put("name", n));
        m.put("metadata", metadata);
        return m;
    }
}
