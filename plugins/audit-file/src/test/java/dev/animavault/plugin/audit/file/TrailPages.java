package dev.animavault.plugin.audit.file;

import static dev.animavault.spi.testkit.AuditTestEvents.at;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditQuery;
import dev.animavault.spi.testkit.AuditTestEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Shared steps of the file sink's tests: writing a batch of plain read events, reading a trail back page by page. */
final class TrailPages {
    private TrailPages() {
    }

    /**
     * Writes {@code count} {@code secret.read} events of {@code org} as one batch, identities {@code agent_0..2} in
     * turn, one second apart from {@code firstSecond}; returns them in write order.
     */
    static List<AuditEvent> write(AuditTestEvents events, FileAuditSink sink, String org, int count, long firstSecond) {
        List<AuditEvent> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(events.event(org, "agent_" + (i % 3), "secret.read", at(firstSecond + i)));
        }
        sink.write(batch);
        return batch;
    }

    /** Every event of {@code org} (of one identity, when given), newest first, through pages of {@code pageSize}. */
    static List<AuditEvent> all(FileAuditSink sink, String org, Optional<String> identity, int pageSize) {
        List<AuditEvent> out = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            var page = sink.query(new AuditQuery(org, identity, Optional.empty(), Optional.empty(), Optional.empty(),
                    new PageRequest(pageSize, cursor)));
            out.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return out;
    }
}
