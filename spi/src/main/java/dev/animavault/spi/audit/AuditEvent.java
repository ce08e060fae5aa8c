package dev.animavault.spi.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One audit record. Never contains a secret value or a credential; sensitive identifiers are already
 * HMAC'd by core. Fields other than id, timestamp, action and outcome may be null.
 *
 * @param id             unique, time-ordered event id (lexicographic order follows time)
 * @param timestamp      when the request was handled
 * @param action         what was attempted, e.g. {@code secret.read}, {@code secret.create},
 *                       {@code identity.create}, {@code token.issue}, {@code auth.denied}
 * @param outcome        how it ended
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
