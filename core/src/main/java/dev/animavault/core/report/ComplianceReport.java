package dev.animavault.core.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A generated compliance report: what it covers and its tables, in a fixed order (summary, inventory,
 * access_by_secret, access_by_actor, access_unusual, least_privilege, hygiene_stale_secrets,
 * hygiene_admins_without_mfa, integrity, timeline).
 *
 * @param organizationId the organization reported on
 * @param identityId     the identity the report is limited to, or null for the whole organization
 * @param from           start of the period (inclusive)
 * @param to             end of the period (exclusive)
 * @param generatedAt    when the report was made
 * @param eventsScanned  audit events read to make it
 * @param tables         the report's tables
 * @param timeline       accesses over time, for the chart: bucket start, successful reads, denied attempts
 */
public record ComplianceReport(String organizationId, String identityId, Instant from, Instant to, Instant generatedAt,
                               long eventsScanned, List<ReportTable> tables, List<TimelineBucket> timeline) {

    /** One bar of the chart. */
    public record TimelineBucket(Instant start, long reads, long denied) {
    }

    /** The table with this name. */
    public ReportTable table(String name) {
        return tables.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no table " + name));
    }

    /** The report's header fields in order. */
    public Map<String, Object> meta() {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("organizationId", organizationId);
        m.put("identityId", identityId);
        m.put("from", from.toString());
        m.put("to", to.toString());
        m.put("generatedAt", generatedAt.toString());
        m.put("eventsScanned", eventsScanned);
        return m;
    }
}
