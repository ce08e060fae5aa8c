package dev.animavault.client;

import java.time.Instant;
import java.util.Optional;

/**
 * Filters and paging of {@link Audit#getLogs}: {@code LogQuery.all().identityId("agent_123").limit(100)}.
 * Immutable; each {@code with}-style method returns a copy.
 */
public record LogQuery(Optional<String> identityId, Optional<String> action, Optional<Instant> from,
                       Optional<Instant> to, Optional<Integer> limit, Optional<String> cursor) {
    public LogQuery {
        identityId = identityId == null ? Optional.empty() : identityId;
        action = action == null ? Optional.empty() : action;
        from = from == null ? Optional.empty() : from;
        to = to == null ? Optional.empty() : to;
        limit = limit == null ? Optional.empty() : limit;
        cursor = cursor == null ? Optional.empty() : cursor;
    }

    /** No filter: the organization's newest events. */
    public static LogQuery all() {
        return new LogQuery(null, null, null, null, null, null);
    }

    /** Events about one identity. */
    public static LogQuery identity(String identityId) {
        return all().identityId(identityId);
    }

    public LogQuery identityId(String identityId) {
        return new LogQuery(Optional.ofNullable(identityId), action, from, to, limit, cursor);
    }

    /** e.g. {@code secret.read}. */
    public LogQuery action(String action) {
        return new LogQuery(identityId, Optional.ofNullable(action), from, to, limit, cursor);
    }

    public LogQuery from(Instant from) {
        return new LogQuery(identityId, action, Optional.ofNullable(from), to, limit, cursor);
    }

    public LogQuery to(Instant to) {
        return new LogQuery(identityId, action, from, Optional.ofNullable(to), limit, cursor);
    }

    /** 1–1000 (default 100). */
    public LogQuery limit(int limit) {
        return new LogQuery(identityId, action, from, to, Optional.of(limit), cursor);
    }

    /** The {@link Page#nextCursor()} of the previous page. */
    public LogQuery cursor(String cursor) {
        return new LogQuery(identityId, action, from, to, limit, Optional.ofNullable(cursor));
    }
}
