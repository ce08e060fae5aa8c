package dev.animavault.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.audit.QueryableAuditSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Queries and assertions shared by the parts of {@link AuditSinkContract}. */
final class AuditContractSupport {
    static final String ORG_A = "org_a";
    static final String ORG_B = "org_b";

    private AuditContractSupport() {
    }

    static AuditQuery query(String organizationId) {
        return query(organizationId, 100);
    }

    static AuditQuery query(String organizationId, int limit) {
        return new AuditQuery(organizationId, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                PageRequest.first(limit));
    }

    static List<AuditEvent> expectedFor(List<AuditEvent> written, String organizationId) {
        return reversed(written).stream().filter(e -> organizationId.equals(e.organizationId())).toList();
    }

    static void assertFiltered(QueryableAuditSink sink, List<AuditEvent> written, AuditQuery q,
                                       int expectedCount) {
        List<AuditEvent> expected = reversed(written).stream().filter(q::matches).toList();
        assertEquals(expectedCount, expected.size(), "test data");
        assertEquals(expected, sink.query(q).items(), q.toString());
    }

    /**
     * Reads every page of a query, checking that no page exceeds the limit, that only the last page lacks
     * a cursor, that only the last page may be empty, and that no event appears twice.
     */
    static List<AuditEvent> queryAll(QueryableAuditSink sink, String organizationId,
                                             Optional<String> identityId, Optional<String> action,
                                             Optional<Instant> from, Optional<Instant> to, int limit) {
        List<AuditEvent> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 0; ; pages++) {
            if (pages > 100_000) {
                fail("pagination does not terminate");
            }
            Page<AuditEvent> page = sink.query(new AuditQuery(organizationId, identityId, action, from, to,
                    new PageRequest(limit, cursor)));
            assertTrue(page.items().size() <= limit, "a page holds more than the limit of " + limit);
            for (AuditEvent e : page.items()) {
                assertTrue(seen.add(e.id()), "event " + e.id() + " returned twice");
            }
            all.addAll(page.items());
            if (page.nextCursor().isEmpty()) {
                return all;
            }
            assertFalse(page.items().isEmpty(), "an empty page must be the last page");
            cursor = page.nextCursor();
        }
    }

    static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }
}
