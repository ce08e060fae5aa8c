package dev.animavault.spi.audit;

import java.util.Objects;

/**
 * What an {@link AuditSink} reports about its state to the vault's health endpoint.
 *
 * @param state  whether the sink can record events
 * @param detail a short reason for {@code DEGRADED} or {@code UNAVAILABLE} (null for {@code OK}). Health is
 *               answered to anonymous callers: no paths, host names, credentials or exception texts.
 */
public record AuditSinkHealth(State state, String detail) {
    /** A sink's state. */
    public enum State {
        /** The sink records events. */
        OK,
        /** The sink records events but needs attention soon (e.g. its disk is filling up). */
        DEGRADED,
        /** The sink refuses events (its file is gone, its disk reserve is reached, its server is down). */
        UNAVAILABLE
    }

    private static final AuditSinkHealth OK = new AuditSinkHealth(State.OK, null);

    public AuditSinkHealth {
        Objects.requireNonNull(state, "state is null");
        if (state != State.OK) {
            Objects.requireNonNull(detail, "detail is null");
        }
    }

    /** The sink records events. */
    public static AuditSinkHealth ok() {
        return OK;
    }

    /** The sink records events; {@code detail} says what needs attention. */
    public static AuditSinkHealth degraded(String detail) {
        return new AuditSinkHealth(State.DEGRADED, detail);
    }

    /** The sink refuses events; {@code detail} says why. */
    public static AuditSinkHealth unavailable(String detail) {
        return new AuditSinkHealth(State.UNAVAILABLE, detail);
    }
}
