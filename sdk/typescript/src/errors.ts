/**
 * Errors thrown by the SDK. Every failure the vault answers with is an {@link AnimaApiError} carrying
 * the RFC 9457 problem document's stable `code` (e.g. `secret_not_found`) and the HTTP status; the
 * subclasses let callers `catch` by kind. Messages never contain secret values (the server's problem
 * details never do, and the SDK adds only the method and path).
 */

/** The RFC 9457 problem document the vault sends with every error. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

/** Root of every error the SDK throws. */
export class AnimaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The vault answered with an error status (4xx or 5xx). */
export class AnimaApiError extends AnimaError {
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The problem document's stable code, e.g. `secret_not_found`; `http_<status>` if the body had none. */
  readonly code: string;
  /** Human-readable explanation from the server (never contains secret values). */
  readonly detail: string | undefined;
  /** The request id to quote when reporting a problem (from the body or the X-Request-Id header). */
  readonly requestId: string | undefined;
  /** The whole problem document as received. */
  readonly problem: Problem;

  constructor(status: number, problem: Problem, method: string, path: string, requestId?: string) {
    const code = typeof problem.code === "string" ? problem.code : `http_${status}`;
    const detail = typeof problem.detail === "string" ? problem.detail : problem.title;
    super(`${method} ${path} failed with ${status} ${code}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.requestId = typeof problem.requestId === "string" && problem.requestId !== "-" ? problem.requestId : requestId;
    this.problem = problem;
  }
}

/** 400 and 422: the request was malformed or a value was rejected (`invalid_argument`, `invalid_value`, ...). */
export class InvalidRequestError extends AnimaApiError {}
/** 401: missing, unknown, revoked or expired token. */
export class AuthenticationError extends AnimaApiError {}
/** 403: a valid token that may not do this. */
export class PermissionDeniedError extends AnimaApiError {}
/** 404: `identity_not_found`, `secret_not_found`, `not_found`. */
export class NotFoundError extends AnimaApiError {}
/** 409: `already_exists`, `type_mismatch`, `identity_disabled`, `revision_conflict`. */
export class ConflictError extends AnimaApiError {}
/** 413: `value_too_large`, `payload_too_large`. */
export class PayloadTooLargeError extends AnimaApiError {}
/** 429: too many requests (retried automatically for idempotent calls). */
export class RateLimitError extends AnimaApiError {}
/** 5xx: the vault or something behind it is unavailable (503 is retried for idempotent calls). */
export class ServerError extends AnimaApiError {}

/** No response within the configured timeout. */
export class AnimaTimeoutError extends AnimaError {}
/** The request could not be sent or the response not read (connection refused, reset, DNS). */
export class AnimaConnectionError extends AnimaError {}

/** Builds the error subclass matching an HTTP status. */
export function apiError(status: number, problem: Problem, method: string, path: string,
                         requestId?: string): AnimaApiError {
  const Kind =
    status === 400 || status === 422 ? InvalidRequestError
      : status === 401 ? AuthenticationError
      : status === 403 ? PermissionDeniedError
      : status === 404 ? NotFoundError
      : status === 409 ? ConflictError
      : status === 413 ? PayloadTooLargeError
      : status === 429 ? RateLimitError
      : status >= 500 ? ServerError
      : AnimaApiError;
  return new Kind(status, problem, method, path, requestId);
}
