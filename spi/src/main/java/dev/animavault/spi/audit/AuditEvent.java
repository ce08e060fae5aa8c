package dev.animavault.spi.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One audit record. Never contains a secret value or a credential: tokens appear only as their public
 * token id (in {@code actor}), and a client's request id cannot hold a token. Fields are recorded in
 * clear, not hashed (the keyring keeps an audit HMAC key for fields that would need it; none do yet);
 * identity ids and secret keys from unauthenticated or invalid requests are recorded only when they are
 * valid names. Fields other than id, timestamp, action and outcome may be null.
 *
 * @param id             unique, time-ordered event id (lexicographic order follows time)
 * @param timestamp      when the request was handled
 * @param action         what was attempted, e.g. {@code secret.read}, {@code secret.create},
 *                       {@code identity.create}, {@code token.issue}; {@code auth.denied} summarizes the
 *                       failed authentications throttled from one address in a window
 *                       ({@code details.failures}, {@code details.from}, {@code details.to})
 * @param outcome        how it ended, or {@link AuditOutcome#ATTEMPT} for the record a state change makes
 *                       before it is carried out
 * @param organizationId the organization the request addressed, or null if unknown
 * @param identityId     the identity the request addressed, or null
 * @param secretKey      the secret key the request addressed, or null
 * @param version        the secret version read or written, or null
 * @param actor          who asked, e.g. {@code apikey:ak_1f2e...}, {@code identity:agent_123}, {@code anonymous}
 * @param requestId      the request's id (also in the response's {@code X-Request-Id})
 * @param remoteAddress  the client's address, or null
 * @param errorCode      the error code for DENIED/FAILURE, else null
 * @param details        other non-sensitive facts (copied)
 */
public record AuditEvent(String id, Instant timestamp, String action, AuditOutcome outcome, String organizationId,
                         String identityId, String secretKey, Integer version, String actor, String requestId,
                         String remoteAddress, String errorCode, Map<String, String> details) {
    public AuditEvent {
        Objects.requireNonNull(id, "id is null");
        Objects.requireNonNull(timestamp, "timestamp is null");
        Objects.requireNonNull(action, "action is null");
        Objects.requireNonNull(outcome, "outcome is null");
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
