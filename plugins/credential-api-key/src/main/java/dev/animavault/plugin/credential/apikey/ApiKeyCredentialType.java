package dev.animavault.plugin.credential.apikey;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.SecretValue;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.credential.CredentialType;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The {@code api_key} credential type (rules in the {@linkplain dev.animavault.plugin.credential.apikey
 * package documentation}). Thread-safe: it holds only its limit and a {@link SecureRandom}. Every
 * temporary copy of a value is zeroed before a method returns; messages give a position and a code
 * point category, never characters of the value.
 */
public final class ApiKeyCredentialType implements CredentialType {
    /** Default and usual limit: 8 KiB, enough for JWT-style keys. */
    public static final int DEFAULT_MAX_BYTES = 8192;
    /** The highest {@code max-length} configuration accepts (the SPI's default limit). */
    public static final int MAX_MAX_BYTES = 64 * 1024;
    /** Policy key: text put before the random part, e.g. {@code sk_live_}. */
    public static final String POLICY_PREFIX = "prefix";
    /** Policy key: number of random base62 characters. */
    public static final String POLICY_LENGTH = "length";
    /** Random characters generated when the policy gives no length (about 285 bits). */
    public static final int DEFAULT_GENERATED_LENGTH = 48;
    /** Fewest random characters a policy may ask for (about 131 bits). */
    public static final int MIN_GENERATED_LENGTH = 22;
    /** Most random characters a policy may ask for. */
    public static final int MAX_GENERATED_LENGTH = 1024;
    /** Longest prefix a policy may ask for. */
    public static final int MAX_PREFIX_LENGTH = 64;

    private static final Set<String> POLICY_KEYS = Set.of(POLICY_PREFIX, POLICY_LENGTH);
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.:-]{0," + MAX_PREFIX_LENGTH + "}");
    private static final byte[] BASE62 =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

    /** The metadata label that selects a format check, e.g. {@code provider: openai}. */
    public static final String PROVIDER_LABEL = "provider";
    /** Values shorter than this (in characters) get no hint: showing 8 of them would show too much. */
    public static final int MIN_HINT_LENGTH = 16;

    private final int maxBytes;
    private final Map<String, Pattern> formats;
    private final boolean hints;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param maxBytes the largest accepted value in bytes, 1 to {@link #MAX_MAX_BYTES}
     */
    public ApiKeyCredentialType(int maxBytes) {
        this(maxBytes, Map.of(), true);
    }

    /**
     * @param maxBytes the largest accepted value in bytes, 1 to {@link #MAX_MAX_BYTES}
     * @param formats  per API provider (the secret's {@code provider} label), a pattern the whole value
     *                 must match
     * @param hints    whether {@link #hint} shows the first and last characters of long values
     */
    public ApiKeyCredentialType(int maxBytes, Map<String, Pattern> formats, boolean hints) {
        if (maxBytes < 1 || maxBytes > MAX_MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes must be between 1 and " + MAX_MAX_BYTES);
        }
        this.maxBytes = maxBytes;
        this.formats = Map.copyOf(formats);
        this.hints = hints;
    }

    @Override
    public String id() {
        return ApiKeyCredentialTypeFactory.NAME;
    }

    @Override
    public int maxValueBytes() {
        return maxBytes;
    }

    @Override
    public void validate(SecretValue value) {
        requireNonNull(value, "value is null");
        int length = value.length(); // no copy of the bytes: only their count is checked here
        char[] chars = null;
        try {
            if (length == 0) {
                throw invalid("is empty");
            }
            if (length > maxBytes) {
                throw new VaultException(ErrorCode.VALUE_TOO_LARGE,
                        "api_key value is longer than " + maxBytes + " bytes");
            }
            chars = decodeStrictUtf8(value);
            checkCharacters(chars);
        } finally {
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
    }

    /**
     * Validates as {@link #validate(SecretValue)} does, then, when the secret's {@code provider} label names
     * a configured format, checks the value against it (the message names the provider and the label,
     * never the value or the pattern's match).
     */
    @Override
    public void validate(SecretValue value, Map<String, String> metadata) {
        validate(value);
        String provider = metadata == null ? null : metadata.get(PROVIDER_LABEL);
        Pattern format = provider == null ? null : formats.get(provider);
        if (format == null) {
            return;
        }
        char[] chars = decodeStrictUtf8(value);
        try {
            if (!format.matcher(java.nio.CharBuffer.wrap(chars)).matches()) {
                throw invalid("does not have the format configured for provider '" + provider
                        + "' (metadata label '" + PROVIDER_LABEL + "')");
            }
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /**
     * {@code sk-p...x7Qa}: the first and last 4 characters of values of at least 24 characters; 2 and 2
     * from 16 characters; nothing for shorter values (at least 12 characters always stay hidden). Empty
     * when hints are turned off.
     */
    @Override
    public Optional<String> hint(SecretValue value) {
        if (!hints) {
            return Optional.empty();
        }
        char[] chars = null;
        try {
            chars = decodeStrictUtf8(value);
            int count = Character.codePointCount(chars, 0, chars.length);
            int shown = Math.min(4, (count - 12) / 2);
            if (count < MIN_HINT_LENGTH || shown < 1) {
                return Optional.empty();
            }
            // only the shown characters become a String; the rest stays in arrays that are zeroed below
            int headEnd = Character.offsetByCodePoints(chars, 0, chars.length, 0, shown);
            int tailStart = Character.offsetByCodePoints(chars, 0, chars.length, chars.length, -shown);
            return Optional.of(new String(chars, 0, headEnd) + "..." + new String(chars, tailStart,
                    chars.length - tailStart));
        } catch (VaultException notUtf8) {
            return Optional.empty();
        } finally {
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
    }

    private static char[] decodeStrictUtf8(SecretValue value) {
        return value.utf8Chars().orElseThrow(() -> invalid("is not valid UTF-8"));
    }

    private static void checkCharacters(char[] chars) {
        int first = Character.codePointAt(chars, 0);
        if (isSpace(first)) {
            throw invalid("has leading whitespace (" + describe(first) + ")");
        }
        int last = Character.codePointBefore(chars, chars.length);
        if (isSpace(last)) {
            throw invalid("has trailing whitespace (" + describe(last) + "); a copy-paste error?");
        }
        int position = 0;
        for (int i = 0; i < chars.length; ) {
            int cp = Character.codePointAt(chars, i);
            position++;
            int category = Character.getType(cp);
            if (category == Character.CONTROL) {
                throw invalid("contains a control character (" + describe(cp) + ") at character " + position
                        + "; line breaks, tabs and NUL are copy-paste errors");
            }
            if (category == Character.FORMAT || category == Character.LINE_SEPARATOR
                    || category == Character.PARAGRAPH_SEPARATOR) {
                // Zero-width spaces, byte order marks and bidi overrides ride along with copied text.
                throw invalid("contains an invisible formatting character (" + describe(cp) + ") at character "
                        + position);
            }
            i += Character.charCount(cp);
        }
    }

    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    /** Names a rejected code point; only whitespace, control and format characters reach here. */
    private static String describe(int cp) {
        return String.format("U+%04X", cp);
    }

    private static VaultException invalid(String what) {
        return new VaultException(ErrorCode.INVALID_VALUE, "api_key value " + what);
    }

    /**
     * Generates {@code prefix} plus {@code length} random base62 characters.
     *
     * @param policy optional {@code prefix} ({@code [A-Za-z0-9_.:-]}, at most {@value #MAX_PREFIX_LENGTH}
     *               characters) and {@code length} ({@value #MIN_GENERATED_LENGTH} to
     *               {@value #MAX_GENERATED_LENGTH}, default {@value #DEFAULT_GENERATED_LENGTH})
     * @throws VaultException {@code INVALID_ARGUMENT} naming the policy key that is unknown or wrong
     */
    @Override
    public Optional<SecretValue> generate(Map<String, String> policy) {
        requireNonNull(policy, "policy is null");
        for (String key : policy.keySet()) {
            if (!POLICY_KEYS.contains(key)) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "generate policy key '" + key
                        + "' is not supported by api_key (supported: " + new TreeSet<>(POLICY_KEYS) + ")");
            }
        }
        String prefix = policy.getOrDefault(POLICY_PREFIX, "");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "generate policy key '" + POLICY_PREFIX
                    + "' must be at most " + MAX_PREFIX_LENGTH + " characters of A-Z a-z 0-9 _ . : -");
        }
        int length = parseLength(policy.get(POLICY_LENGTH));
        if (prefix.length() + length > maxBytes) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "generate policy keys '" + POLICY_PREFIX + "' and '"
                    + POLICY_LENGTH + "' together exceed the api_key limit of " + maxBytes + " bytes");
        }
        byte[] out = new byte[prefix.length() + length];
        byte[] prefixBytes = prefix.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefixBytes, 0, out, 0, prefixBytes.length);
        byte[] pool = new byte[length + 16];
        try {
            int filled = prefixBytes.length;
            while (filled < out.length) {
                random.nextBytes(pool);
                for (int i = 0; i < pool.length && filled < out.length; i++) {
                    // Rejection sampling: 6 random bits give 0..63; keeping only 0..61 makes every
                    // base62 character equally likely.
                    int sixBits = pool[i] & 0x3F;
                    if (sixBits < BASE62.length) {
                        out[filled++] = BASE62[sixBits];
                    }
                }
            }
            return Optional.of(SecretValue.of(out));
        } finally {
            Arrays.fill(out, (byte) 0);
            Arrays.fill(pool, (byte) 0);
        }
    }

    private static int parseLength(String text) {
        if (text == null) {
            return DEFAULT_GENERATED_LENGTH;
        }
        int length;
        try {
            length = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw lengthError();
        }
        if (length < MIN_GENERATED_LENGTH || length > MAX_GENERATED_LENGTH) {
            throw lengthError();
        }
        return length;
    }

    private static VaultException lengthError() {
        return new VaultException(ErrorCode.INVALID_ARGUMENT, "generate policy key '" + POLICY_LENGTH
                + "' must be an integer from " + MIN_GENERATED_LENGTH + " to " + MAX_GENERATED_LENGTH);
    }

    @Override
    public String toString() {
        return "ApiKeyCredentialType[id=api_key, maxValueBytes=" + maxBytes + ", formats=" + formats.keySet()
                + ", hints=" + hints + "]";
    }
}
