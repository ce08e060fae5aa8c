package dev.animavault.core.http;

import dev.animavault.spi.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one place that maps error codes to HTTP statuses and RFC 9457 problem documents. */
final class Problems {
    static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://animavault.dev/problems/";

    private Problems() {
    }

    static int status(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, MALFORMED_JSON, INVALID_NAME -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND, IDENTITY_NOT_FOUND, SECRET_NOT_FOUND -> 404;
            case METHOD_NOT_ALLOWED -> 405;
            case VERSION_DESTROYED -> 410;
            case ALREADY_EXISTS, REVISION_CONFLICT, TYPE_MISMATCH, IDENTITY_DISABLED, REAUTHORIZATION_REQUIRED,
                 IN_USE -> 409;
            case VALUE_TOO_LARGE, PAYLOAD_TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case INVALID_VALUE, UNKNOWN_TYPE -> 422;
            case RATE_LIMITED -> 429;
            case UPSTREAM_ERROR, EGRESS_DENIED -> 502;
            case AUDIT_UNAVAILABLE, STORAGE_UNAVAILABLE, UNAVAILABLE, UPSTREAM_UNAVAILABLE -> 503;
            case INTEGRITY_ERROR, CONFIGURATION, INTERNAL -> 500;
        };
    }

    static String title(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> "Invalid argument";
            case MALFORMED_JSON -> "Malformed JSON";
            case INVALID_NAME -> "Invalid name";
            case INVALID_VALUE -> "Invalid secret value";
            case VALUE_TOO_LARGE -> "Secret value too large";
            case UNKNOWN_TYPE -> "Unknown credential type";
            case TYPE_MISMATCH -> "Credential type mismatch";
            case NOT_FOUND -> "Not found";
            case IDENTITY_NOT_FOUND -> "Identity not found";
            case SECRET_NOT_FOUND -> "Secret not found";
            case VERSION_DESTROYED -> "Version destroyed";
            case IDENTITY_DISABLED -> "Identity disabled";
            case ALREADY_EXISTS -> "Already exists";
            case REVISION_CONFLICT -> "Conflicting update";
            case UNAUTHENTICATED -> "Unauthenticated";
            case PERMISSION_DENIED -> "Permission denied";
            case PAYLOAD_TOO_LARGE -> "Request too large";
            case METHOD_NOT_ALLOWED -> "Method not allowed";
            case UNSUPPORTED_MEDIA_TYPE -> "Unsupported media type";
            case RATE_LIMITED -> "Too many requests";
            case AUDIT_UNAVAILABLE -> "Audit unavailable";
            case STORAGE_UNAVAILABLE -> "Storage unavailable";
            case UPSTREAM_ERROR -> "Upstream error";
            case EGRESS_DENIED -> "Outbound call denied";
            case UPSTREAM_UNAVAILABLE -> "Upstream unavailable";
            case REAUTHORIZATION_REQUIRED -> "Reauthorization required";
            case IN_USE -> "In use";
            case UNAVAILABLE -> "Unavailable";
            case INTEGRITY_ERROR -> "Integrity error";
            case CONFIGURATION -> "Configuration error";
            case INTERNAL -> "Internal error";
        };
    }

    static Map<String, Object> body(ErrorCode code, String detail, String instance, String requestId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", TYPE_BASE + code.code());
        m.put("title", title(code));
        m.put("status", status(code));
        m.put("detail", detail);
        m.put("code", code.code());
        if (instance != null) {
            m.put("instance", instance);
        }
        m.put("requestId", requestId);
        return m;
    }
}
