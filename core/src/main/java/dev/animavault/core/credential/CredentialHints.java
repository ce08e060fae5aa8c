package dev.animavault.core.credential;

import dev.animavault.spi.SecretValue;
import dev.animavault.spi.credential.CredentialType;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The masked hint a credential type computes when a value is written ({@code sk-p...x7Qa}), kept in the
 * secret's core-managed attributes under {@value #ATTRIBUTE} so listings can show it without reading a
 * value. Stateless.
 */
public final class CredentialHints {
    /** The attribute that holds the current version's hint. */
    public static final String ATTRIBUTE = "hint";
    private static final int MAX_HINT_LENGTH = 32;

    private CredentialHints() {
    }

    /**
     * The attributes with the hint of {@code value} set, or removed when the type gives none (so a new
     * version never shows the previous version's hint).
     */
    public static Map<String, String> withHint(CredentialType type, SecretValue value, Map<String, String> attributes) {
        Optional<String> hint = type.hint(value).filter(h -> !h.isEmpty() && h.length() <= MAX_HINT_LENGTH);
        if (hint.isEmpty() && !attributes.containsKey(ATTRIBUTE)) {
            return attributes;
        }
        if (attributes.isEmpty()) {
            return Map.of(ATTRIBUTE, hint.get()); // a create's common case: the record's Map.copyOf keeps this one
        }
        Map<String, String> out = new HashMap<>(attributes);
        hint.ifPresentOrElse(h -> out.put(ATTRIBUTE, h), () -> out.remove(ATTRIBUTE));
        return out;
    }
}
