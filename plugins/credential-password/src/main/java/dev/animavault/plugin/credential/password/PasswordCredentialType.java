package dev.animavault.plugin.credential.password;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code password} credential type (rules in the {@linkplain dev.animavault.plugin.credential.password
 * package documentation}). Thread-safe: immutable settings and a {@link SecureRandom}. Temporary copies of
 * values are zeroed before a method returns; messages never quote a value.
 */
public final class PasswordCredentialType implements CredentialType {
    /** Policy key: number of characters to generate. */
    public static final String POLICY_LENGTH = "length";
    /** Policy key: classes to draw from, e.g. {@code lower,upper,digit}; default all four. */
    public static final String POLICY_CLASSES = "classes";
    /** Policy key: {@code true} leaves out {@code 0 O 1 l I |}. */
    public static final String POLICY_EXCLUDE_LOOKALIKES = "exclude-lookalikes";
    /** Fewest characters a policy may ask for. */
    public static final int MIN_GENERATED_LENGTH = 8;
    /** Most characters a policy may ask for. */
    public static final int MAX_GENERATED_LENGTH = 1024;

    private static final Set<String> POLICY_KEYS = Set.of(POLICY_LENGTH, POLICY_CLASSES, POLICY_EXCLUDE_LOOKALIKES);

    /**
     * The type's settings.
     *
     * @param maxBytes          largest accepted value in bytes
     * @param minLength         fewest characters a supplied value must have (0: no check)
     * @param requiredClasses   classes a supplied value must contain (empty: no check)
     * @param generateLength    characters generated when a policy gives no length
     * @param excludeLookalikes whether generation leaves out look-alike characters when a policy does not say
     */
    public record Settings(int maxBytes, int minLength, Set<CharacterClass> requiredClasses, int generateLength,
                           boolean excludeLookalikes) {
        public Settings {
            requiredClasses = requiredClasses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(requiredClasses));
        }
    }

    private final Settings settings;
    private final SecureRandom random = new SecureRandom();

    public PasswordCredentialType(Settings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    @Override
    public String id() {
        return PasswordCredentialTypeFactory.NAME;
    }

    @Override
    public int maxValueBytes() {
        return settings.maxBytes();
    }

    @Override
    public void validate(SecretValue value) {
        requireNonNull(value, "value is null");
        byte[] bytes = value.bytes();
        char[] chars = null;
        try {
            if (bytes.length == 0) {
                throw invalid("is empty");
            }
            if (bytes.length > settings.maxBytes()) {
                throw new VaultException(ErrorCode.VALUE_TOO_LARGE, "password value is longer than "
                        + settings.maxBytes() + " bytes");
            }
            chars = decodeStrictUtf8(value);
            int length = Character.codePointCount(chars, 0, chars.length);
            if (length < settings.minLength()) {
                throw invalid("has " + length + " characters; this vault requires at least " + settings.minLength());
            }
            Set<CharacterClass> missing = EnumSet.noneOf(CharacterClass.class);
            missing.addAll(settings.requiredClasses());
            for (int i = 0; i < chars.length && !missing.isEmpty(); ) {
                int cp = Character.codePointAt(chars, i);
                missing.removeIf(c -> c.contains(cp));
                i += Character.charCount(cp);
            }
            if (!missing.isEmpty()) {
                throw invalid("lacks required character classes: " + CharacterClass.names(missing));
            }
        } finally {
            Arrays.fill(bytes, (byte) 0);
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
    }

    private static char[] decodeStrictUtf8(SecretValue value) {
        return value.utf8Chars().orElseThrow(() -> invalid("is not valid UTF-8"));
    }

    private static VaultException invalid(String what) {
        return new VaultException(ErrorCode.INVALID_VALUE, "password value " + what);
    }

    /**
     * Generates a password.
     *
     * @param policy optional {@code length} ({@value #MIN_GENERATED_LENGTH}-{@value #MAX_GENERATED_LENGTH},
     *               default from configuration), {@code classes} (default {@code lower,upper,digit,symbol};
     *               must include the configured required classes) and {@code exclude-lookalikes}
     *               ({@code true}/{@code false}, default from configuration)
     * @throws VaultException {@code INVALID_ARGUMENT} naming the policy key that is unknown or wrong
     */
    @Override
    public Optional<SecretValue> generate(Map<String, String> policy) {
        requireNonNull(policy, "policy is null");
        for (String key : policy.keySet()) {
            if (!POLICY_KEYS.contains(key)) {
                throw policyError("generate policy key '" + key + "' is not supported by password (supported: "
                        + new TreeSet<>(POLICY_KEYS) + ")");
            }
        }
        int length = length(policy.get(POLICY_LENGTH));
        Set<CharacterClass> classes = policy.containsKey(POLICY_CLASSES)
                ? CharacterClass.parse(policy.get(POLICY_CLASSES), "generate policy key '" + POLICY_CLASSES + "'",
                ErrorCode.INVALID_ARGUMENT)
                : EnumSet.allOf(CharacterClass.class);
        if (classes.isEmpty()) {
            throw policyError("generate policy key '" + POLICY_CLASSES + "' names no character class");
        }
        if (!classes.containsAll(settings.requiredClasses())) {
            throw policyError("generate policy key '" + POLICY_CLASSES + "' must include the required classes "
                    + CharacterClass.names(settings.requiredClasses()));
        }
        if (length < settings.minLength() || length < classes.size()) {
            throw policyError("generate policy key '" + POLICY_LENGTH + "' must be at least "
                    + Math.max(settings.minLength(), classes.size()) + " here");
        }
        boolean excludeLookalikes = bool(policy.get(POLICY_EXCLUDE_LOOKALIKES), settings.excludeLookalikes());
        return Optional.of(draw(length, classes, excludeLookalikes));
    }

    private SecretValue draw(int length, Set<CharacterClass> classes, boolean excludeLookalikes) {
        StringBuilder alphabetText = new StringBuilder();
        classes.forEach(c -> alphabetText.append(c.chars(excludeLookalikes)));
        char[] alphabet = alphabetText.toString().toCharArray();
        byte[] out = new byte[length];
        try {
            while (true) {
                Set<CharacterClass> missing = EnumSet.copyOf(classes);
                for (int i = 0; i < length; i++) {
                    // nextInt(bound) rejects the top partial range of its 31-bit draws: every character is
                    // equally likely
                    char c = alphabet[random.nextInt(alphabet.length)];
                    out[i] = (byte) c;
                    if (!missing.isEmpty()) {
                        missing.removeIf(k -> k.contains(c));
                    }
                }
                // redrawing the whole password (not patching one position) keeps the distribution uniform
                // over the passwords that contain every class
                if (missing.isEmpty()) {
                    return SecretValue.of(out);
                }
            }
        } finally {
            Arrays.fill(out, (byte) 0);
        }
    }

    private int length(String text) {
        if (text == null) {
            return settings.generateLength();
        }
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= MIN_GENERATED_LENGTH && n <= MAX_GENERATED_LENGTH && n <= settings.maxBytes()) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw policyError("generate policy key '" + POLICY_LENGTH + "' must be an integer from "
                + MIN_GENERATED_LENGTH + " to " + Math.min(MAX_GENERATED_LENGTH, settings.maxBytes()));
    }

    private static boolean bool(String text, boolean defaultValue) {
        if (text == null) {
            return defaultValue;
        }
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw policyError("generate policy key '" + POLICY_EXCLUDE_LOOKALIKES + "' must be true or false");
        };
    }

    private static VaultException policyError(String message) {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, message);
    }

    @Override
    public String toString() {
        return "PasswordCredentialType[id=password, maxValueBytes=" + settings.maxBytes() + ", minLength="
                + settings.minLength() + ", requiredClasses=" + CharacterClass.names(settings.requiredClasses()) + "]";
    }
}
