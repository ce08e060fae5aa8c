package dev.animavault.spi;

import java.util.Objects;

/**
 * The one exception root of Anima Vault. Every failure that crosses the SPI carries an
 * {@link ErrorCode}; core maps the code to an HTTP status and a problem+json body whose {@code detail}
 * is this exception's message. Messages must name keys and identifiers, never secret values.
 */
public class VaultException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    /**
     * @param errorCode the stable code, not null
     * @param message   a message fit for the API client; names keys, never values
     */
    public VaultException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode is null");
    }

    /**
     * @param errorCode the stable code, not null
     * @param message   a message fit for the API client; names keys, never values
     * @param cause     the underlying failure (logged by core, never sent to clients)
     */
    public VaultException(ErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = Objects.requireNonNull(errorCode, "errorCode is null");
    }

    /** The stable error code. */
    public ErrorCode errorCode() {
        return errorCode;
    }
}
