package dev.animavault.core.rotation;

/**
 * Test-only crash points of the rotation engine. When the system property {@value #PROPERTY} names one
 * of the points below, the process halts ({@code Runtime.halt(137)}: no shutdown hooks, no flush,
 * equivalent to SIGKILL for what is durable) the first time the engine reaches it, so a crash test can
 * stop a vault process exactly between two steps. Read once at class initialization; unset in
 * production, where {@link #reach} is one comparison with null.
 */
final class HaltPoints {
    static final String PROPERTY = "anima.test.halt-at";

    /** After the start write (rotation id, pending version) committed, before its outcome audit record. */
    static final String START_COMMITTED = "start.committed";
    /** After the start's outcome audit record, before the delivery. */
    static final String DELIVER_BEFORE = "deliver.before";
    /** After the receiver answered, before the delivery is logged and audited. */
    static final String DELIVER_ANSWERED = "deliver.answered";
    /** After the delivery was logged and audited, before the promotion. */
    static final String DELIVER_AUDITED = "deliver.audited";
    /** After the promotion's ATTEMPT audit record, before its storage write. */
    static final String PROMOTE_ATTEMPT = "promote.attempt";
    /** After the promotion committed, before the old schedule entry is removed and the outcome audited. */
    static final String PROMOTE_COMMITTED = "promote.committed";
    /** After the promotion's outcome audit record, before the succeeded event is delivered. */
    static final String PROMOTE_AUDITED = "promote.audited";
    /** After an event (succeeded, failed, expiring) was delivered, before its outbox entry is removed. */
    static final String EVENT_DELIVERED = "event.delivered";
    /** After retired versions were destroyed in storage, before the secret records it. */
    static final String DESTROY_BEFORE_RECORD = "destroy.before-record";

    private static final String HALT_AT = System.getProperty(PROPERTY);

    private HaltPoints() {
    }

    /** Halts the process when {@code point} is the configured one. */
    static void reach(String point) {
        if (HALT_AT != null && HALT_AT.equals(point)) {
            System.err.println("halting at rotation point " + point);
            Runtime.getRuntime().halt(137);
        }
    }
}
