package dev.animavault.client;

import java.time.Instant;

/** {@code /v1/vault/audit}: the organization's audit log, newest first (the organization's API key). */
public final class Audit {
    private final Transport t;

    Audit(Transport transport) {
        this.t = transport;
    }

    /** One page of events matching the query; {@link Page#nextCursor()} leads to the next. */
    public Page<AuditEvent> getLogs(LogQuery q) {
        return t.send(Transport.get("/v1/vault/audit/logs")
                .query("identityId", q.identityId().orElse(null))
                .query("action", q.action().orElse(null))
                .query("from", q.from().map(Instant::toString).orElse(null))
                .query("to", q.to().map(Instant::toString).orElse(null))
                .query("limit", q.limit().orElse(null))
                .query("cursor", q.cursor().orElse(null)), n -> JsonViews.page(n, JsonViews::auditEvent));
    }

    /** Every event matching the query, newest first, fetched page by page as the stream is consumed. */
    public java.util.stream.Stream<AuditEvent> streamLogs(LogQuery q) {
        return Page.all(cursor -> getLogs(q.cursor(cursor)));
    }

    /** The newest events (up to 100). */
    public Page<AuditEvent> getLogs() {
        return getLogs(LogQuery.all());
    }

    /**
     * A value as audit events record it (issue 15): {@code hmac} is its HMAC under the active audit key
     * version; {@code actor}, when the value is an actor such as {@code identity:agent_1/<token id>}, the
     * actor with its token id hashed (for the {@code actor} filter); {@code versions} every audit key
     * version's HMAC, newest first (empty unless asked for).
     */
    public record AuditHash(int activeVersion, String hmac, String actor, java.util.List<String> versions) {
    }

    /**
     * {@code POST /v1/sys/audit-hash} (permission {@code audit:read}): the HMAC(s) under which audit events
     * record {@code value} (a token id, an API key id, a client address or an actor), to search for it.
     */
    public AuditHash hash(String value, boolean allVersions) {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("value", value);
        body.put("allVersions", allVersions);
        return t.send(Transport.post("/v1/sys/audit-hash").body(body), n -> {
            java.util.List<String> versions = new java.util.ArrayList<>();
            n.path("versions").forEach(v -> versions.add(v.has("actor") ? v.path("actor").asText()
                    : v.path("hmac").asText()));
            return new AuditHash(n.path("activeVersion").asInt(), JsonViews.text(n, "hmac"), JsonViews.text(n, "actor"),
                    java.util.List.copyOf(versions));
        });
    }

    /**
     * {@code GET /v1/vault/audit/reports}: a compliance report of the organization (or one identity) over a
     * time window, as the server writes it.
     *
     * @param format     {@code json}, {@code csv} or {@code html}
     * @param identityId one identity, or null for the whole organization
     * @param from       start of the window, or null for the server's default
     * @param to         end of the window, or null for now
     */
    public byte[] report(String format, String identityId, Instant from, Instant to) {
        return t.sendForBytes(Transport.get("/v1/vault/audit/reports")
                .query("format", format)
                .query("identityId", identityId)
                .query("from", from == null ? null : from.toString())
                .query("to", to == null ? null : to.toString()));
    }
}
