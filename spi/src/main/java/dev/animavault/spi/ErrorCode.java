package dev.animavault.spi;

/**
 * Stable error codes. The {@link #code()} string is part of the public HTTP API (the {@code code}
 * member of every problem+json response) and never changes once released; new codes are added, old
 * ones are not renamed. Core maps each code to one HTTP status.
 */
public enum ErrorCode {
    /** A request or argument is malformed (bad JSON, missing field, bad identifier). HTTP 400. */
    INVALID_ARGUMENT("invalid_argument"),
    /** A JSON body could not be parsed. HTTP 400. */
    MALFORMED_JSON("malformed_json"),
    /** A secret key or identity id does not match the allowed pattern. HTTP 400. */
    INVALID_NAME("invalid_name"),
    /** A secret value is rejected by its credential type. HTTP 422. */
    INVALID_VALUE("invalid_value"),
    /** A secret value is larger than the documented limit. HTTP 413. */
    VALUE_TOO_LARGE("value_too_large"),
    /** The named credential type is not enabled in this deployment. HTTP 422. */
    UNKNOWN_TYPE("unknown_type"),
    /** The operation would change a secret's type. HTTP 409. */
    TYPE_MISMATCH("type_mismatch"),
    /** A generic thing is not there. HTTP 404. */
    NOT_FOUND("not_found"),
    /** The identity does not exist (or is not visible to the caller). HTTP 404. */
    IDENTITY_NOT_FOUND("identity_not_found"),
    /** The secret (or the requested version of it) does not exist. HTTP 404. */
    SECRET_NOT_FOUND("secret_not_found"),
    /**
     * The requested version of a secret existed but was destroyed (a rotation policy with
     * {@code retiredVersions: destroy}); it will never be readable again. HTTP 410.
     */
    VERSION_DESTROYED("version_destroyed"),
    /** The identity is disabled. HTTP 409. */
    IDENTITY_DISABLED("identity_disabled"),
    /** Something with that name already exists. HTTP 409. */
    ALREADY_EXISTS("already_exists"),
    /** A conditional write lost: the expected revision is not the current one. HTTP 409. */
    REVISION_CONFLICT("revision_conflict"),
    /** No credentials, or credentials that are not valid. HTTP 401. */
    UNAUTHENTICATED("unauthenticated"),
    /** Valid credentials that do not allow this operation. HTTP 403. */
    PERMISSION_DENIED("permission_denied"),
    /** The request body or a parameter is too large. HTTP 413. */
    PAYLOAD_TOO_LARGE("payload_too_large"),
    /** The HTTP method is not supported on this resource. HTTP 405. */
    METHOD_NOT_ALLOWED("method_not_allowed"),
    /** The media type is not supported. HTTP 415. */
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
    /** The caller is sending too many requests, or a backend asked us to slow down. HTTP 429. */
    RATE_LIMITED("rate_limited"),
    /** No audit sink recorded the event, so the operation was refused (fail closed). HTTP 503. */
    AUDIT_UNAVAILABLE("audit_unavailable"),
    /** The storage backend cannot be reached or refused to work. HTTP 503. */
    STORAGE_UNAVAILABLE("storage_unavailable"),
    /** A dependency (OAuth server, webhook receiver, Vaultwarden) is unreachable. HTTP 502. */
    UPSTREAM_ERROR("upstream_error"),
    /**
     * A dependency (an OAuth token endpoint, ...) is down or too slow right now; retry later. HTTP 503
     * with {@code Retry-After} when the exception carries {@link VaultException#retryAfter()}.
     */
    UPSTREAM_UNAVAILABLE("upstream_unavailable"),
    /**
     * The stored grant no longer works (an OAuth refresh token was revoked: {@code invalid_grant}); an
     * organization key must store new credentials. HTTP 409.
     */
    REAUTHORIZATION_REQUIRED("reauthorization_required"),
    /** An outbound call was refused by the egress policy. HTTP 502. */
    EGRESS_DENIED("egress_denied"),
    /** The vault is not ready (starting, sealed). HTTP 503. */
    UNAVAILABLE("unavailable"),
    /** Stored data could not be decrypted or verified (tampering or a wrong key). HTTP 500. */
    INTEGRITY_ERROR("integrity_error"),
    /** Startup configuration is wrong: unknown provider, unknown key, bad value. Never an HTTP answer. */
    CONFIGURATION("configuration"),
    /** A bug or unexpected failure. HTTP 500, logged with the request id, no details to the client. */
    INTERNAL("internal"),
    /**
     * The thing is still used and cannot be removed (a custom role assigned to admins, the last owner of
     * an organization). HTTP 409.
     */
    IN_USE("in_use");

    private final String code;

    ErrorCode(String code) {
        this.code = code;
    }

    /** The stable wire form, e.g. {@code secret_not_found}. */
    public String code() {
        return code;
    }
}
