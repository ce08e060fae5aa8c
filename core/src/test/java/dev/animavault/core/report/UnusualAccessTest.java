package dev.animavault.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.spi.Page;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's "outside usual hours / new addresses" and "admins without MFA" sections. */
class UnusualAccessTest {
    private static final Instant FROM = Instant.parse("2026-03-01T00:00:00Z");
    private static final Instant TO = FROM.plus(Duration.ofDays(12));

    @TempDir
    Path tmp;

    private int n;

    private AuditEvent read(String actor, Instant at, String address, AuditOutcome outcome) {
        return new AuditEvent(String.format("ev_%06d", n++), at, "secret.read", outcome, "default", "agent_1", "K", 1,
                actor, "req", address, null, Map.of());
    }

    /** 40 office-hours reads by A from one address, one 03:xx read from a new address; B too quiet to judge. */
    private List<AuditEvent> trail() {
        List<AuditEvent> events = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            for (int k = 0; k < 4; k++) {
                events.add(read("identity:agent_1/tok_a", FROM.plus(Duration.ofDays(d)).plus(Duration.ofHours(9 + k))
                        .plusSeconds(60), "10.0.0.1", AuditOutcome.SUCCESS));
            }
        }
        events.add(read("identity:agent_1/tok_a", FROM.plus(Duration.ofDays(8)).plus(Duration.ofHours(3)), "203.0.113.9",
                AuditOutcome.DENIED));
        for (int i = 0; i < 5; i++) {
            events.add(read("apikey:ak_b", FROM.plus(Duration.ofDays(6)).plus(Duration.ofHours(2 * i + 1)),
                    "10.0.0." + (50 + i), AuditOutcome.SUCCESS));
        }
        events.sort((a, b) -> b.timestamp().compareTo(a.timestamp()));   // the trail streams newest first
        return events;
    }

    @Test
    void rareHoursAndNewAddressesAreListedPerActor() {
        UnusualAccess u = new UnusualAccess(FROM, TO);
        for (AuditEvent e : trail()) {
            u.add(e.actor(), e);
        }
        ReportTable t = u.table();
        assertEquals("access_unusual", t.name());
        assertEquals(List.of(
                List.of("identity:agent_1/tok_a", "outside_usual_hours", "03:00-04:00 UTC", 1L,
                        "2026-03-09T03:00:00Z", "2026-03-09T03:00:00Z"),
                List.of("identity:agent_1/tok_a", "new_address", "203.0.113.9", 1L,
                        "2026-03-09T03:00:00Z", "2026-03-09T03:00:00Z")), t.rows(),
                "B has too few accesses for usual hours, and was not active in the baseline (3 days)");
    }

    @Test
    void theReportCarriesBothSectionsAndTheAdminSeam() throws Exception {
        try (TestVault vault = TestVault.start(tmp)) {
            List<AuditEvent> events = trail();
            ReportGenerator none = new ReportGenerator(vault.node().storage(), q -> Page.last(events), List::of,
                    Clock.systemUTC());
            ComplianceReport r = none.generate("default", Optional.empty(), FROM, TO);
            assertEquals(2, r.table("access_unusual").rows().size());
            ReportTable admins = r.table("hygiene_admins_without_mfa");
            assertTrue(admins.title().endsWith("(no admin accounts)"), admins.title());
            assertEquals(List.of(), admins.rows());

            AdminAccounts two = org -> List.of(new AdminAccounts.Admin("adm_1", "alice", true, null),
                    new AdminAccounts.Admin("adm_2", "bob", false, Instant.parse("2026-03-02T10:00:00Z")));
            ComplianceReport withAdmins = new ReportGenerator(vault.node().storage(), q -> Page.last(events), List::of,
                    Clock.systemUTC(), two).generate("default", Optional.empty(), FROM, TO);
            ReportTable t = withAdmins.table("hygiene_admins_without_mfa");
            assertEquals(List.of(List.of("adm_2", "bob", "2026-03-02T10:00:00Z")), t.rows());
            assertTrue(t.title().contains("1 of 2 admin accounts"), t.title());
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            ReportFormats.html(withAdmins, bytes);
            String html = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(html.contains("data-table=\"access_unusual\"") && html.contains("203.0.113.9"));
            assertTrue(html.contains("data-table=\"hygiene_admins_without_mfa\""));
        }
    }
}
