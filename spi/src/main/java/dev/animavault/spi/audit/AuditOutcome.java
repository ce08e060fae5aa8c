package dev.animavault.spi.audit;

/**
 * How an audited request ended, or that a state change is about to be attempted.
 *
 * <p>A request that changes state (creates, updates, deletes, issues, revokes) is recorded twice: an
 * {@link #ATTEMPT} event before anything is changed (if no sink records it, nothing is changed and the
 * request is refused) and, under the same action and request id, an outcome event
 * ({@link #SUCCESS}, {@link #DENIED} or {@link #FAILURE}) afterwards, whose {@code details} name the attempt
 * ({@code attempt=<event id>}). A read is recorded once, with its outcome. Sinks must accept values added
 * here later (the enum grows by addition).
 */
public enum AuditOutcome {
    /** The operation was carried out. */
    SUCCESS,
    /** Authentication or authorization refused the request. */
    DENIED,
    /** The request was allowed but failed (not found, invalid, unavailable). */
    FAILURE,
    /**
     * A state change is about to be attempted: recorded before the change, which is made only once a sink
     * has this event. Its outcome follows as a separate event.
     */
    ATTEMPT
}
