package dev.animavault.spi.audit;

import dev.animavault.spi.PageRequest;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A query over recorded events of one organization. Results are newest first; the page cursor moves
 * toward older events. All filters are exact matches; {@code from} is inclusive, {@code to} exclusive.
 *
 * @param organizationId required: events of other organizations are never returned
 * @param identityId     only events addressing this identity
 * @param action         only events with this action
 * @param from           only events at or after this time
 * @param to             only events before this time
 * @param page           size and cursor
 * @param secretKey      only events addressing this secret key (added after the first SPI release, like
 *                       {@code actor} and {@code outcome}: a sink written before them ignores them, and
 *                       core applies them for it; see {@link QueryableAuditSink#supportedFilters()})
 * @param actor          only events by this actor, e.g. {@code identity:agent_1/tok_...}
 * @param outcome        only events with this outcome
 */
public record AuditQuery(String organizationId, Optional<String> identityId, Optional<String> action,
                         Optional<Instant> from, Optional<Instant> to, PageRequest page,
                         Optional<String> secretKey, Optional<String> actor, Optional<AuditOutcome> outcome) {
    /** The filters a query can carry (the organization is always required and is not one of them). */
    public enum Filter {
        IDENTITY_ID, ACTION, FROM, TO, SECRET_KEY, ACTOR, OUTCOME;

        /** The filters of the first SPI release, which every queryable sink applies. */
        public static final Set<Filter> ORIGINAL = Set.copyOf(EnumSet.of(IDENTITY_ID, ACTION, FROM, TO));
        /** Every filter. */
        public static final Set<Filter> ALL = Set.copyOf(EnumSet.allOf(Filter.class));
    }

    /** The filters this query sets. */
    public Set<Filter> filters() {
        EnumSet<Filter> set = EnumSet.noneOf(Filter.class);
        identityId.ifPresent(x -> set.add(Filter.IDENTITY_ID));
        action.ifPresent(x -> set.add(Filter.ACTION));
        from.ifPresent(x -> set.add(Filter.FROM));
        to.ifPresent(x -> set.add(Filter.TO));
        secretKey.ifPresent(x -> set.add(Filter.SECRET_KEY));
        actor.ifPresent(x -> set.add(Filter.ACTOR));
        outcome.ifPresent(x -> set.add(Filter.OUTCOME));
        return set;
    }

    /** This query keeping only the given filters (and the organization), with another page. */
    public AuditQuery restrictedTo(Set<Filter> kept, PageRequest page) {
        return new AuditQuery(organizationId,
                kept.contains(Filter.IDENTITY_ID) ? identityId : Optional.empty(),
                kept.contains(Filter.ACTION) ? action : Optional.empty(),
                kept.contains(Filter.FROM) ? from : Optional.empty(),
                kept.contains(Filter.TO) ? to : Optional.empty(),
                page,
                kept.contains(Filter.SECRET_KEY) ? secretKey : Optional.empty(),
                kept.contains(Filter.ACTOR) ? actor : Optional.empty(),
                kept.contains(Filter.OUTCOME) ? outcome : Optional.empty());
    }

    /** A query without the secret key, actor and outcome filters (the original form). */
    public AuditQuery(String organizationId, Optional<String> identityId, Optional<String> action,
                      Optional<Instant> from, Optional<Instant> to, PageRequest page) {
        this(organizationId, identityId, action, from, to, page, Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    public AuditQuery {
        Objects.requireNonNull(secretKey, "secretKey is null");
        Objects.requireNonNull(actor, "actor is null");
        Objects.requireNonNull(outcome, "outcome is null");
        Objects.requireNonNull(organizationId, "organizationId is null");
        Objects.requireNonNull(identityId, "identityId is null");
        Objects.requireNonNull(action, "action is null");
        Objects.requireNonNull(from, "from is null");
        Objects.requireNonNull(to, "to is null");
        Objects.requireNonNull(page, "page is null");
    }

    /** Whether the event matches every filter (not the page). */
    public boolean matches(AuditEvent e) {
        return organizationId.equals(e.organizationId())
                && identityId.map(i -> i.equals(e.identityId())).orElse(true)
                && action.map(a -> a.equals(e.action())).orElse(true)
                && secretKey.map(k -> k.equals(e.secretKey())).orElse(true)
                && actor.map(a -> a.equals(e.actor())).orElse(true)
                && outcome.map(o -> o == e.outcome()).orElse(true)
                && from.map(f -> !e.timestamp().isBefore(f)).orElse(true)
                && to.map(t -> e.timestamp().isBefore(t)).orElse(true);
    }
}
