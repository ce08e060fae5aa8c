package dev.animavault.core.report;

import dev.animavault.spi.audit.AuditEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report's "unusual access" section, aggregated while the trail streams by (newest first), in memory
 * bounded by actors x (24 hours + addresses kept):
 * <ul>
 *   <li><b>outside usual hours</b>: for each actor with at least {@value #MIN_ACCESSES} accesses in the
 *       period (reads and denials), the UTC hours of the day holding less than {@value #RARE_PERCENT}% of
 *       them; each such hour is one row with its count and first/last time;</li>
 *   <li><b>from new addresses</b>: the first {@value #BASELINE_PERCENT}% of the period (at most 7 days)
 *       is the baseline; an address an actor used after the baseline but not during it is new, provided
 *       the actor was active in the baseline (otherwise the actor itself is new and every address would
 *       be). At most {@value #MAX_ADDRESSES} addresses are kept per actor; past that the actor gets one row
 *       saying so.</li>
 * </ul>
 * Not thread-safe: one instance per report.
 */
final class UnusualAccess {
    static final int MIN_ACCESSES = 20;
    static final int RARE_PERCENT = 5;
    static final int BASELINE_PERCENT = 25;
    static final int MAX_ADDRESSES = 1000;

    private static final class Address {
        long events;
        Instant first;
        Instant last;
        boolean inBaseline;
    }

    private static final class Actor {
        final long[] hours = new long[24];
        final Instant[] hourFirst = new Instant[24];
        final Instant[] hourLast = new Instant[24];
        long accesses;
        boolean activeInBaseline;
        boolean tooManyAddresses;
        final Map<String, Address> addresses = new HashMap<>();
    }

    private final Instant baselineEnd;
    private final Map<String, Actor> actors = new TreeMap<>();

    UnusualAccess(Instant from, Instant to) {
        Duration period = Duration.between(from, to);
        Duration baseline = period.multipliedBy(BASELINE_PERCENT).dividedBy(100);
        this.baselineEnd = from.plus(baseline.compareTo(Duration.ofDays(7)) > 0 ? Duration.ofDays(7) : baseline);
    }

    /** Counts one access (a read or a denial) by {@code actor}. */
    void add(String actor, AuditEvent e) {
        Actor a = actors.computeIfAbsent(actor, k -> new Actor());
        a.accesses++;
        int h = e.timestamp().atZone(ZoneOffset.UTC).getHour();
        a.hours[h]++;
        a.hourFirst[h] = e.timestamp();   // newest first: the last one seen is the earliest
        if (a.hourLast[h] == null) {
            a.hourLast[h] = e.timestamp();
        }
        boolean baseline = e.timestamp().isBefore(baselineEnd);
        a.activeInBaseline |= baseline;
        if (e.remoteAddress() == null) {
            return;
        }
        Address addr = a.addresses.get(e.remoteAddress());
        if (addr == null) {
            if (a.addresses.size() >= MAX_ADDRESSES) {
                a.tooManyAddresses = true;
                return;
            }
            addr = new Address();
            a.addresses.put(e.remoteAddress(), addr);
        }
        addr.events++;
        addr.first = e.timestamp();
        if (addr.last == null) {
            addr.last = e.timestamp();
        }
        addr.inBaseline |= baseline;
    }

    ReportTable table() {
        List<List<Object>> rows = new ArrayList<>();
        actors.forEach((actor, a) -> {
            if (a.accesses >= MIN_ACCESSES) {
                for (int h = 0; h < 24; h++) {
                    if (a.hours[h] > 0 && a.hours[h] * 100 < a.accesses * RARE_PERCENT) {
                        rows.add(java.util.Arrays.asList(actor, "outside_usual_hours",
                                String.format("%02d:00-%02d:00 UTC", h, (h + 1) % 24), a.hours[h],
                                a.hourFirst[h].toString(), a.hourLast[h].toString()));
                    }
                }
            }
            if (a.activeInBaseline) {
                new TreeMap<>(a.addresses).forEach((address, addr) -> {
                    if (!addr.inBaseline) {
                        rows.add(java.util.Arrays.asList(actor, "new_address", address, addr.events,
                                addr.first.toString(), addr.last.toString()));
                    }
                });
                if (a.tooManyAddresses) {
                    rows.add(java.util.Arrays.asList(actor, "new_address",
                            "more than " + MAX_ADDRESSES + " addresses: not all listed", null, null, null));
                }
            }
        });
        return new ReportTable("access_unusual", "Access outside usual hours (UTC hours with under " + RARE_PERCENT
                + "% of an actor's accesses, from " + MIN_ACCESSES + " accesses) or from new addresses (not used in "
                + "the first " + BASELINE_PERCENT + "% of the period, at most 7 days, until " + baselineEnd + ")",
                List.of("actor", "kind", "detail", "events", "first", "last"), rows);
    }
}
