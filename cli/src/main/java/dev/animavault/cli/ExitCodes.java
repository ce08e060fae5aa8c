package dev.animavault.cli;

import dev.animavault.client.AnimaException;

/**
 * The documented exit codes of the client commands (README, "CLI reference"). Scripts may rely on them.
 */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;
    /** An unexpected failure (a bug, an unreadable file). */
    public static final int ERROR = 1;
    /** Bad command line: unknown option, missing argument (picocli's usage error). */
    public static final int USAGE = 2;
    /** 404: no such identity, secret or token. */
    public static final int NOT_FOUND = 3;
    /** 401/403: no token, a token the vault does not accept, or one that may not do this. */
    public static final int DENIED = 4;
    /** 409: already exists, identity disabled, type mismatch, conflicting update. */
    public static final int CONFLICT = 5;
    /** 400/413/422: the vault refused the input (invalid name or value, unknown type, too large). */
    public static final int REJECTED = 6;
    /** The vault is unreachable, timed out, rate-limited (429) or unavailable (5xx). */
    public static final int UNAVAILABLE = 7;

    private ExitCodes() {
    }

    /** The exit code for a failed call. */
    public static int of(AnimaException e) {
        int s = e.status();
        if (s == 0 || s == 429 || s >= 500) {
            return UNAVAILABLE;
        }
        return switch (s) {
            case 404 -> NOT_FOUND;
            case 401, 403 -> DENIED;
            case 409 -> CONFLICT;
            case 400, 413, 422 -> REJECTED;
            default -> ERROR;
        };
    }
}
