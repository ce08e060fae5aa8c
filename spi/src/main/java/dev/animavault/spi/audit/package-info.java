/**
 * The audit SPI. Core's audit broker hands every event to all configured sinks; an operation that
 * touches a secret fails when no sink recorded its event (fail closed). Events never carry secret
 * values.
 */
package dev.animavault.spi.audit;
