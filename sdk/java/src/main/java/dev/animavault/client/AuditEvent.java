package dev.animavault.client;

import java.util.Map;

/**
 * One audit event. Fields the event does not have are {@code null} (e.g. {@code secretKey} of an
 * identity read), as in the JSON; {@code timestamp} is the ISO-8601 text the vault sends.
 */
public record AuditEvent(String id, String timestamp, String action, String outcome, String organizationId,
                         String identityId, String secretKey, Integer version, String actor, String requestId,
                         String remoteAddress, String errorCode, Map<String, String> details) {
    public AuditEvent {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** The timestamp as an instant. */
    public java.time.Instant instant() {
        return java.time.Instant.parse(timestamp);
    }
}
