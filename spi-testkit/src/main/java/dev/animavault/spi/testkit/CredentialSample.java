package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.SecretValue;
import java.nio.charset.StandardCharsets;

/**
 * A value fed to a credential type by {@link CredentialTypeContract}, with a description that names the
 * case (the description is the test's display name, so it never repeats the value).
 *
 * @param description what the case is, e.g. {@code "trailing newline"}
 * @param value       the value; {@link #toString()} masks it
 */
public record CredentialSample(String description, SecretValue value) {
    public CredentialSample {
        requireNonNull(description, "description is null");
        requireNonNull(value, "value is null");
    }

    /** A sample holding the UTF-8 encoding of the text. */
    public static CredentialSample of(String description, String value) {
        return new CredentialSample(description, SecretValue.ofUtf8(requireNonNull(value, "value is null")));
    }

    /** A sample holding exactly these bytes (e.g. invalid UTF-8). */
    public static CredentialSample ofBytes(String description, byte[] value) {
        return new CredentialSample(description, SecretValue.of(value));
    }

    /** The value as text (malformed UTF-8 replaced), for leak checks. */
    String text() {
        return new String(value.bytes(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "CredentialSample[" + description + ", " + value.length() + " bytes]";
    }
}
