package dev.animavault.plugin.credential.password;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The character classes passwords are checked for and generated from. */
public enum CharacterClass {
    /** {@code a-z}. */
    LOWER("abcdefghijklmnopqrstuvwxyz"),
    /** {@code A-Z}. */
    UPPER("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    /** {@code 0-9}. */
    DIGIT("0123456789"),
    /** ASCII punctuation without quotes, backslash, backtick and space (they break shell and config files). */
    SYMBOL("!#$%&()*+,-./:;<=>?@[]^_{|}~");

    /** Characters people confuse when reading or typing a password. */
    static final String LOOKALIKES = "0O1lI|";

    private final String chars;

    CharacterClass(String chars) {
        this.chars = chars;
    }

    /** The generation alphabet of this class. */
    String chars(boolean excludeLookalikes) {
        if (!excludeLookalikes) {
            return chars;
        }
        StringBuilder out = new StringBuilder();
        chars.chars().filter(c -> LOOKALIKES.indexOf(c) < 0).forEach(c -> out.append((char) c));
        return out.toString();
    }

    /** Whether the code point belongs to this class (for validation any ASCII punctuation is a symbol). */
    boolean contains(int cp) {
        return switch (this) {
            case LOWER -> Character.isLowerCase(cp);
            case UPPER -> Character.isUpperCase(cp);
            case DIGIT -> Character.isDigit(cp);
            case SYMBOL -> !Character.isLetterOrDigit(cp) && !Character.isWhitespace(cp) && !Character.isISOControl(cp);
        };
    }

    /** The wire name, e.g. {@code lower}. */
    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code lower,upper,digit,symbol} (any subset, any order, commas or spaces).
     *
     * @param what names the setting in messages
     */
    static Set<CharacterClass> parse(String text, String what, ErrorCode code) {
        Set<CharacterClass> out = EnumSet.noneOf(CharacterClass.class);
        for (String part : text.split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            CharacterClass c = Arrays.stream(values()).filter(v -> v.wireName().equals(part.toLowerCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> new VaultException(code, what + " names unknown character class '"
                            + part + "'; known: " + names(EnumSet.allOf(CharacterClass.class))));
            out.add(c);
        }
        return out;
    }

    static String names(Set<CharacterClass> classes) {
        return classes.stream().map(CharacterClass::wireName).collect(Collectors.joining(","));
    }
}
