package dev.animavault.core.http;

import dev.animavault.core.config.VaultConfig;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Request ids: the client's {@code X-Request-Id} when it is acceptable, else a generated one. Audit
 * events and logs record them, so a client's id must not be able to carry a credential into the audit
 * trail: it is at most {@link #MAX_LENGTH} characters, shorter than any token this vault accepts (issued
 * tokens are 64 characters, bootstrap tokens at least {@value VaultConfig#MIN_BOOTSTRAP_TOKEN_LENGTH}), and it
 * may not contain a token prefix. An unacceptable id is replaced, not refused: the response's
 * {@code X-Request-Id} tells the client which id its request got.
 */
final class RequestIds {
    /** The longest client request id kept: shorter than the shortest token the vault accepts. */
    static final int MAX_LENGTH = VaultConfig.MIN_BOOTSTRAP_TOKEN_LENGTH - 1;
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");
    /** Prefixes of the vault's tokens: issued API keys and identity tokens, and run-server's owner token. */
    private static final List<String> TOKEN_PREFIXES = List.of("avk_", "avt_", "avdev_");

    private RequestIds() {
    }

    /** The client's id if it is acceptable, else a new one. */
    static String of(String fromClient) {
        return acceptable(fromClient) ? fromClient : newId();
    }

    /** Whether a client's id is kept: 1-31 of {@code [A-Za-z0-9._-]}, no token prefix anywhere in it. */
    static boolean acceptable(String id) {
        if (id == null || !ALLOWED.matcher(id).matches()) {
            return false;
        }
        String lower = id.toLowerCase(Locale.ROOT);
        for (String prefix : TOKEN_PREFIXES) {
            if (lower.contains(prefix)) {
                return false;
            }
        }
        return true;
    }

    // Request ids only correlate logs and audit events; they need uniqueness, not secrecy, so the
    // hot path avoids SecureRandom (a lock around /dev/urandom reads).
    static String newId() {
        String hex = Long.toHexString(ThreadLocalRandom.current().nextLong());
        return hex.length() == 16 ? hex : "0".repeat(16 - hex.length()) + hex;
    }
}
