package dev.animavault.client;

import java.util.Optional;

/**
 * Every failure of a call: the vault's RFC 9457 problem (stable {@link #code()}, HTTP {@link #status()})
 * or a transport failure ({@link Timeout}, {@link Connection}, status 0). Catch the nested subclasses
 * by kind. Messages never contain secret values (the server's problem details never do).
 */
public class AnimaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String detail;
    private final String requestId;

    AnimaException(int status, String code, String message, String detail, String requestId, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.detail = detail;
        this.requestId = requestId;
    }

    /** The HTTP status, e.g. 404; 0 when no response was received. */
    public int status() {
        return status;
    }

    /** The problem's stable code, e.g. {@code secret_not_found}; {@code timeout} or {@code connection_failed} without a response. */
    public String code() {
        return code;
    }

    /** The server's explanation, if any. */
    public Optional<String> detail() {
        return Optional.ofNullable(detail);
    }

    /** The request id to quote when reporting a problem. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    static AnimaException of(int status, String code, String detail, String requestId, String method, String path) {
        String message = method + " " + path + " failed with " + status + " " + code
                + (detail == null ? "" : ": " + detail);
        if (status == 400 || status == 422) {
            return new InvalidRequest(status, code, message, detail, requestId);
        }
        return switch (status) {
            case 401 -> new Unauthenticated(status, code, message, detail, requestId);
            case 403 -> new PermissionDenied(status, code, message, detail, requestId);
            case 404 -> new NotFound(status, code, message, detail, requestId);
            case 409 -> new Conflict(status, code, message, detail, requestId);
            case 413 -> new TooLarge(status, code, message, detail, requestId);
            case 429 -> new RateLimited(status, code, message, detail, requestId);
            default -> status >= 500 ? new ServerError(status, code, message, detail, requestId)
                    : new AnimaException(status, code, message, detail, requestId, null);
        };
    }

    /** 400 and 422: malformed request or rejected value ({@code invalid_argument}, {@code invalid_name}, {@code unknown_type}, ...). */
    public static final class InvalidRequest extends AnimaException {
        private static final long serialVersionUID = 1L;

        InvalidRequest(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 401: missing, unknown, revoked or expired token. */
    public static final class Unauthenticated extends AnimaException {
        private static final long serialVersionUID = 1L;

        Unauthenticated(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 403: a valid token that may not do this. */
    public static final class PermissionDenied extends AnimaException {
        private static final long serialVersionUID = 1L;

        PermissionDenied(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 404: {@code identity_not_found}, {@code secret_not_found}, {@code not_found}. */
    public static final class NotFound extends AnimaException {
        private static final long serialVersionUID = 1L;

        NotFound(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 409: {@code already_exists}, {@code type_mismatch}, {@code identity_disabled}, {@code revision_conflict}. */
    public static final class Conflict extends AnimaException {
        private static final long serialVersionUID = 1L;

        Conflict(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 413: {@code value_too_large}, {@code payload_too_large}. */
    public static final class TooLarge extends AnimaException {
        private static final long serialVersionUID = 1L;

        TooLarge(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 429: too many requests (idempotent calls are retried first). */
    public static final class RateLimited extends AnimaException {
        private static final long serialVersionUID = 1L;

        RateLimited(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** 5xx: the vault or what it depends on is unavailable (503 is retried for idempotent calls first). */
    public static final class ServerError extends AnimaException {
        private static final long serialVersionUID = 1L;

        ServerError(int status, String code, String message, String detail, String requestId) {
            super(status, code, message, detail, requestId, null);
        }
    }

    /** No response within the timeout. */
    public static final class Timeout extends AnimaException {
        private static final long serialVersionUID = 1L;

        Timeout(String message, Throwable cause) {
            super(0, "timeout", message, null, null, cause);
        }
    }

    /** The request could not be sent or the response not read. */
    public static final class Connection extends AnimaException {
        private static final long serialVersionUID = 1L;

        Connection(String message, Throwable cause) {
            super(0, "connection_failed", message, null, null, cause);
        }
    }

    /** The response was not what the API documents (e.g. not JSON). */
    public static final class UnexpectedResponse extends AnimaException {
        private static final long serialVersionUID = 1L;

        UnexpectedResponse(int status, String message, Throwable cause) {
            super(status, "unexpected_response", message, null, null, cause);
        }
    }
}
