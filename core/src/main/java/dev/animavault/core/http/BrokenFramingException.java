package dev.animavault.core.http;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;

/**
 * The request body could not be read as HTTP framed it (over the size limit mid-stream, a malformed or
 * short chunk): where the next request would start on this connection is unknown, so the routing filter
 * answers with this problem and closes the connection; nothing more is read from it.
 */
final class BrokenFramingException extends VaultException {
    private static final long serialVersionUID = 1L;

    BrokenFramingException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
