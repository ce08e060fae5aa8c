package dev.animavault.core.service;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Map;
import java.util.regex.Pattern;

/** Validation of identifiers and metadata supplied by clients. */
public final class Names {
    /** Identity ids: 1-128 characters, letters, digits, {@code _ . -}, starting with a letter or digit. */
    public static final Pattern IDENTITY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    /** Secret keys: 1-256 characters, letters, digits, {@code _ . -}, not starting with {@code . -}. */
    public static final Pattern SECRET_KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,255}");
    /** Most metadata entries per identity or secret. */
    public static final int MAX_METADATA_ENTRIES = 32;
    /** Longest identity display name, in characters. */
    public static final int MAX_IDENTITY_NAME = 256;
    /** Longest identity token name, in characters. */
    public static final int MAX_TOKEN_NAME = 128;
    /** Most secret keys one identity token may be limited to. */
    public static final int MAX_TOKEN_KEYS = 64;

    private Names() {
    }

    /** Whether the id matches {@link #IDENTITY_ID} (hand-written: this runs on every request). */
    public static boolean isIdentityId(String id) {
        return id != null && matches(id, 128, false);
    }

    /** Whether the key matches {@link #SECRET_KEY}. */
    public static boolean isSecretKey(String key) {
        return key != null && matches(key, 256, true);
    }

    private static boolean matches(String s, int max, boolean underscoreFirst) {
        int n = s.length();
        if (n == 0 || n > max) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            boolean ok = i == 0 ? alnum || (underscoreFirst && c == '_') : alnum || c == '_' || c == '.' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Checks an identity id. */
    public static String identityId(String id) {
        if (!isIdentityId(id)) {
            throw new VaultException(ErrorCode.INVALID_NAME, "invalid identity id: use 1-128 letters, digits, '_', '.' "
                    + "or '-', starting with a letter or digit");
        }
        return id;
    }

    /** Checks a secret key. */
    public static String secretKey(String key) {
        if (!isSecretKey(key)) {
            throw new VaultException(ErrorCode.INVALID_NAME, "invalid secret key: use 1-256 letters, digits, '_', '.' "
                    + "or '-', not starting with '.' or '-'");
        }
        return key;
    }

    /** Checks an identity display name: at most {@link #MAX_IDENTITY_NAME} characters. */
    public static String identityName(String name) {
        if (name != null && name.length() > MAX_IDENTITY_NAME) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "identity name is longer than " + MAX_IDENTITY_NAME
                    + " characters");
        }
        return name;
    }

    /** Checks an identity token's name: at most {@link #MAX_TOKEN_NAME} characters. */
    public static String tokenName(String name) {
        if (name != null && name.length() > MAX_TOKEN_NAME) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "token name is longer than " + MAX_TOKEN_NAME
                    + " characters");
        }
        return name;
    }

    /**
     * Checks the secret keys an identity token is limited to: 1 to {@link #MAX_TOKEN_KEYS} valid keys. An
     * empty set is refused rather than read as "unrestricted": that is asked for by leaving the keys out.
     */
    public static java.util.Set<String> tokenKeys(java.util.Set<String> keys) {
        if (keys.isEmpty()) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "'keys' must name at least one secret key; leave it "
                    + "out for a token that may read all of the identity's secrets");
        }
        if (keys.size() > MAX_TOKEN_KEYS) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "'keys' names " + keys.size() + " secret keys; a "
                    + "token may be limited to at most " + MAX_TOKEN_KEYS);
        }
        keys.forEach(Names::secretKey);
        return keys;
    }

    /** Checks user metadata: at most 32 entries, keys up to 64 and values up to 1024 characters. */
    public static Map<String, String> metadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "metadata has more than " + MAX_METADATA_ENTRIES
                    + " entries");
        }
        metadata.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > 64) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "metadata keys must be 1-64 characters");
            }
            if (v.length() > 1024) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "metadata value of '" + k
                        + "' is longer than 1024 characters");
            }
        });
        return metadata;
    }
}
