package dev.animavault.core.http;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;

/** A 429 {@code rate_limited} whose response carries {@code Retry-After}. */
final class ThrottledException extends VaultException {
    private static final long serialVersionUID = 1L;

    private final long retryAfterSeconds;

    ThrottledException(String message, long retryAfterSeconds) {
        super(ErrorCode.RATE_LIMITED, message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Seconds the client should wait before trying again. */
    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
