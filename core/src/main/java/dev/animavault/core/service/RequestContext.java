package dev.animavault.core.service;

import dev.animavault.core.auth.Principal;
import java.util.Objects;

/**
 * Facts about one API request that every operation needs for authorization and audit.
 *
 * @param requestId     the request's id (echoed in {@code X-Request-Id} and audit events)
 * @param remoteAddress the client's address, or null
 * @param principal     the authenticated caller
 */
public record RequestContext(String requestId, String remoteAddress, Principal principal) {
    public RequestContext {
        Objects.requireNonNull(requestId, "requestId is null");
        Objects.requireNonNull(principal, "principal is null");
    }
}
