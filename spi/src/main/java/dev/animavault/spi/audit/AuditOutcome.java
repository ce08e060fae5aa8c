package dev.animavault.spi.audit;

/** How an audited request ended. */
public enum AuditOutcome {
    /** The operation was carried out. */
    SUCCESS,
    /** Authentication or authorization refused the request. */
    DENIED,
    /** The request was allowed but failed (not found, invalid, unavailable). */
    FAILURE
}
