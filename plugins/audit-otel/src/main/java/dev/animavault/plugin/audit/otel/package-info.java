/**
 * The {@code otel} audit sink: each audit event becomes an OpenTelemetry log record, built through
 * {@code opentelemetry-api} on an SDK logger provider the plugin carries, and exported with OTLP over
 * HTTP (protobuf) to a collector. Exports go through core's egress-checked HTTP client
 * ({@link dev.animavault.plugin.audit.otel.EgressHttpSenderProvider}), never a client of the SDK's own.
 *
 * <p>See {@link dev.animavault.plugin.audit.otel.OtelAuditSinkFactory} for configuration (settings or the
 * standard {@code OTEL_*} variables) and {@link dev.animavault.plugin.audit.otel.OtelAuditSink} for the
 * record layout, durability and threading.
 */
package dev.animavault.plugin.audit.otel;
