package dev.animavault.spi.testkit;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds {@link AuditEvent}s for {@link AuditSinkContract} and sink tests. Ids increase with every
 * event built by one instance, so building events in timestamp order yields ids that sort like core's
 * time-ordered ids. Timestamps are whole milliseconds: every sink must keep at least millisecond
 * precision. Not thread-safe; use one instance per test.
 */
public final class AuditTestEvents {
    /** The instant {@link #at(long)} counts from. */
    public static final Instant BASE = Instant.parse("2025-03-01T12:00:00Z");

    private long sequence;

    /** {@link #BASE} plus the given number of seconds. */
    public static Instant at(long seconds) {
        return BASE.plusSeconds(seconds);
    }

    /**
     * A fresh id such as {@code ev_1740830400000_000007}: time, then a per-instance sequence. Thread-safe
     * (contract tests build events on several threads; a lost increment would repeat an id).
     */
    public synchronized String nextId(Instant timestamp) {
        requireNonNull(timestamp, "timestamp is null");
        sequence++;
        return String.format("ev_%013d_%06d", timestamp.toEpochMilli(), sequence);
    }

    /** A typical successful event: actor, request id and one detail set, no error code. */
    public AuditEvent event(String organizationId, String identityId, String action, Instant timestamp) {
        requireNonNull(action, "action is null");
        String id = nextId(timestamp);
        return new AuditEvent(id, timestamp, action, AuditOutcome.SUCCESS, organizationId, identityId,
                "OPENAI_API_KEY", 1, identityId == null ? "apikey:ak_test" : "identity:" + identityId,
                "req-" + id, "192.0.2.10", null, Map.of("route", "/v1/vault/secrets"));
    }

    /**
     * An event with every field set, a denied outcome and details that stress encoders: quotes,
     * backslashes, a newline, a tab, non-ASCII and a supplementary character.
     */
    public AuditEvent fullEvent(String organizationId, Instant timestamp) {
        String id = nextId(timestamp);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("reason", "token \"scope\" lacks secret.read\\write");
        details.put("multi-line", "first line\nsecond line\r\n\ttabbed");
        details.put("unicode", "Zürich – 東京 – \uD83D\uDD11");
        details.put("empty", "");
        details.put("json-like", "{\"a\":[1,2]}");
        return new AuditEvent(id, timestamp, "secret.read", AuditOutcome.DENIED, organizationId, "agent_123",
                "DATABASE_PASSWORD", 7, "identity:agent_123", "req-" + id, "2001:db8::1", "permission_denied",
                details);
    }

    /** An event whose optional fields are all null and whose details are empty. */
    public AuditEvent sparseEvent(String organizationId, Instant timestamp) {
        String id = nextId(timestamp);
        return new AuditEvent(id, timestamp, "auth.denied", AuditOutcome.FAILURE, organizationId, null, null, null,
                null, null, null, null, Map.of());
    }

    @Override
    public String toString() {
        return "AuditTestEvents[sequence=" + sequence + "]";
    }
}
