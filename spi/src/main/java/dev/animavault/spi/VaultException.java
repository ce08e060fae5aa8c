package dev.animavault.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The one exception root of Anima Vault. Every failure that crosses the SPI carries an
 * {@link ErrorCode}; core maps the code to an HTTP status and a problem+json body whose {@code detail}
 * is this exception's message. Messages must name keys and identifiers, never secret values.
 */
public class VaultException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;
    private final Duration retryAfter;

    /**
     * @param errorCode the stable code, not null
     * @param message   a message fit for the API client; names keys, never values
     */
    public VaultException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode is null");
        this.retryAfter = null;
    }

    /**
     * @param errorCode the stable code, not null
     * @param message   a message fit for the API client; names keys, never values
     * @param cause     the underlying failure (logged by core, never sent to clients)
     */
    public VaultException(ErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode is null");
        this.retryAfter = null;
    }

    /**
     * @param errorCode  the stable code, not null
     * @param message    a message fit for the API client; names keys, never values
     * @param retryAfter when the client may try again (sent as {@code Retry-After}); positive
     * @param cause      the underlying failure, or null
     */
    public VaultException(ErrorCode errorCode, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode is null");
        Objects.requireNonNull(retryAfter, "retryAfter is null");
        if (retryAfter.isNegative() || retryAfter.isZero()) {
            throw new IllegalArgumentException("retryAfter must be positive");
        }
        this.retryAfter = retryAfter;
    }

    /** The stable error code. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /** When the client may try again, if the failure is temporary and the thrower knows. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
