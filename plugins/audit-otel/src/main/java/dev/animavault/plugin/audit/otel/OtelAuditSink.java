package dev.animavault.plugin.audit.otel;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PluginContext;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditSink;
import dev.animavault.spi.audit.AuditSinkHealth;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.resources.Resource;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Exports each audit event as one OpenTelemetry log record over OTLP/HTTP (protobuf).
 *
 * <p><b>Record layout.</b> Event name {@value #EVENT_NAME}; body the action (e.g. {@code secret.read});
 * timestamp the event's time, observed timestamp when the sink handled it; severity {@code INFO} for
 * {@code SUCCESS} and {@code ATTEMPT}, {@code WARN} for {@code DENIED}, {@code ERROR} for {@code FAILURE}
 * (severity text: the outcome). Attributes (absent when the field is null): {@code anima.audit.id},
 * {@code anima.audit.action}, {@code anima.audit.outcome}, {@code anima.organization.id},
 * {@code anima.identity.id}, {@code anima.secret.key}, {@code anima.secret.version} (integer),
 * {@code anima.audit.actor}, {@code anima.audit.request_id}, {@code client.address},
 * {@code error.type} (the error code) and {@code anima.audit.details.<name>} per detail. Resource:
 * the SDK's defaults plus {@code service.name} and {@code anima.deployment.id}; scope
 * {@value #SCOPE}. Events carry no secret value (see {@link AuditEvent}), so neither do the records.
 *
 * <p><b>Durability.</b> {@link #write} builds the batch's records through the API, hands them to the
 * exporter as one OTLP request and waits for the collector's answer: it returns when the collector
 * accepted the batch (2xx) and throws {@code AUDIT_UNAVAILABLE} otherwise (not sent, refused, timed out),
 * so core never counts a batch the collector did not take. What the collector then does with it
 * (buffering, retries towards its backend) is the collector's promise. No hash chain: this sink is for
 * observability pipelines; keep a {@code file} or {@code jdbc} sink for a verifiable trail.
 *
 * <p><b>Threading.</b> Writes are serialized on the sink; {@link #health()} answers from the last
 * export's outcome without blocking; {@link #close()} may come from any thread.
 */
final class OtelAuditSink implements AuditSink {
    static final String EVENT_NAME = "anima.audit";
    static final String SCOPE = "dev.animavault.audit";
    private static final AttributeKey<String> ID = AttributeKey.stringKey("anima.audit.id");
    private static final AttributeKey<String> ACTION = AttributeKey.stringKey("anima.audit.action");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("anima.audit.outcome");
    private static final AttributeKey<String> ORGANIZATION = AttributeKey.stringKey("anima.organization.id");
    private static final AttributeKey<String> IDENTITY = AttributeKey.stringKey("anima.identity.id");
    private static final AttributeKey<String> SECRET_KEY = AttributeKey.stringKey("anima.secret.key");
    private static final AttributeKey<Long> VERSION = AttributeKey.longKey("anima.secret.version");
    private static final AttributeKey<String> ACTOR = AttributeKey.stringKey("anima.audit.actor");
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("anima.audit.request_id");
    private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    private static final String DETAILS_PREFIX = "anima.audit.details.";

    /** Validated settings, see {@link OtelAuditSinkFactory}. */
    record Settings(java.net.URI endpoint, Map<String, String> headers, java.time.Duration timeout,
                    String compression, String serviceName) {
        Settings {
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return "Settings[" + OtelAuditSinkFactory.redact(endpoint) + ", headers " + headers.keySet() + "]";
        }
    }

    private final Settings settings;
    private final PluginContext context;
    private final String where;
    private final Collector collector = new Collector();
    private final SdkLoggerProvider loggerProvider;
    private final Logger logger;
    private final OtlpHttpLogRecordExporter exporter;
    private final Object writeLock = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    private volatile String lastFailure;
    private volatile AuditSinkHealth health = AuditSinkHealth.ok();

    OtelAuditSink(Settings settings, PluginContext context) {
        this.settings = requireNonNull(settings, "settings is null");
        this.context = requireNonNull(context, "context is null");
        this.where = OtelAuditSinkFactory.redact(settings.endpoint());
        EgressHttpSenderProvider sender = new EgressHttpSenderProvider(context.http(),
                new EgressHttpSenderProvider.SendObserver() {
                    @Override
                    public void sent(int status) {
                        lastFailure = status / 100 == 2 ? null : "the collector answered HTTP " + status;
                    }

                    @Override
                    public void failed(Throwable error) {
                        lastFailure = describe(error);
                    }
                });
        ComponentLoader plugins = ComponentLoader.forClassLoader(OtelAuditSink.class.getClassLoader());
        OtlpHttpLogRecordExporterBuilder builder = OtlpHttpLogRecordExporter.builder()
                .setEndpoint(settings.endpoint().toString())
                .setTimeout(settings.timeout())
                .setCompression(settings.compression())
                .setRetryPolicy(null)
                .setComponentLoader(new ComponentLoader() {
                    @Override
                    @SuppressWarnings("unchecked")
                    public <T> Iterable<T> load(Class<T> spiClass) {
                        return spiClass == HttpSenderProvider.class ? List.of((T) sender) : plugins.load(spiClass);
                    }
                });
        settings.headers().forEach(builder::addHeader);
        this.exporter = builder.build();
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), settings.serviceName(),
                AttributeKey.stringKey("anima.deployment.id"), context.deploymentId())));
        this.loggerProvider = SdkLoggerProvider.builder()
                .setResource(resource)
                .setClock(new io.opentelemetry.sdk.common.Clock() {
                    @Override
                    public long now() {
                        java.time.Instant now = context.clock().instant();
                        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
                    }

                    @Override
                    public long nanoTime() {
                        return System.nanoTime();
                    }
                })
                .addLogRecordProcessor(collector)
                .build();
        this.logger = loggerProvider.get(SCOPE);
    }

    /**
     * Sends an empty OTLP logs request (a valid, empty {@code ExportLogsServiceRequest}): the collector
     * must answer 2xx, through the egress policy.
     */
    @Override
    public void probe() {
        if (closed) {
            throw unavailable("the sink is closed");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.endpoint())
                .timeout(settings.timeout())
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.noBody());
        settings.headers().forEach(b::header);
        HttpResponse<byte[]> response;
        try {
            response = context.http().send(b.build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while probing " + where);
        } catch (Exception e) {
            throw new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'otel': cannot reach " + where + ": "
                    + describe(e), e);
        }
        if (response.statusCode() / 100 != 2) {
            throw unavailable(where + " answered HTTP " + response.statusCode() + " to an empty OTLP logs request");
        }
    }

    @Override
    public void write(List<AuditEvent> events) {
        requireNonNull(events, "events is null");
        synchronized (writeLock) {
            if (closed) {
                throw unavailable("the sink is closed");
            }
            if (events.isEmpty()) {
                return;
            }
            collector.begin();
            for (AuditEvent e : events) {
                emit(e);
            }
            List<LogRecordData> batch = collector.end();
            if (batch.size() != events.size()) {
                throw unavailable("built " + batch.size() + " log records for " + events.size() + " events");
            }
            lastFailure = null;
            CompletableResultCode result = exporter.export(batch)
                    .join(settings.timeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
            if (!result.isSuccess()) {
                String why = lastFailure != null ? lastFailure
                        : result.isDone() ? "the export failed" : "no answer within " + settings.timeout();
                health = AuditSinkHealth.unavailable("the last export to " + where + " failed: " + why);
                throw unavailable(events.size() + " events not accepted by " + where + ": " + why);
            }
            health = AuditSinkHealth.ok();
        }
    }

    private void emit(AuditEvent e) {
        LogRecordBuilder r = logger.logRecordBuilder()
                .setEventName(EVENT_NAME)
                .setTimestamp(e.timestamp())
                .setSeverity(switch (e.outcome()) {
                    case SUCCESS, ATTEMPT -> Severity.INFO;
                    case DENIED -> Severity.WARN;
                    case FAILURE -> Severity.ERROR;
                })
                .setSeverityText(e.outcome().name())
                .setBody(e.action())
                .setAttribute(ID, e.id())
                .setAttribute(ACTION, e.action())
                .setAttribute(OUTCOME, e.outcome().name());
        set(r, ORGANIZATION, e.organizationId());
        set(r, IDENTITY, e.identityId());
        set(r, SECRET_KEY, e.secretKey());
        if (e.version() != null) {
            r.setAttribute(VERSION, e.version().longValue());
        }
        set(r, ACTOR, e.actor());
        set(r, REQUEST_ID, e.requestId());
        set(r, CLIENT_ADDRESS, e.remoteAddress());
        set(r, ERROR_TYPE, e.errorCode());
        e.details().forEach((k, v) -> r.setAttribute(AttributeKey.stringKey(DETAILS_PREFIX + k), v));
        r.setContext(Context.root()).emit();
    }

    private static void set(LogRecordBuilder r, AttributeKey<String> key, String value) {
        if (value != null) {
            r.setAttribute(key, value);
        }
    }

    @Override
    public AuditSinkHealth health() {
        return closed ? AuditSinkHealth.unavailable("the sink is closed") : health;
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        synchronized (writeLock) {
            loggerProvider.shutdown().join(5, TimeUnit.SECONDS);
            exporter.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    private static VaultException unavailable(String message) {
        return new VaultException(ErrorCode.AUDIT_UNAVAILABLE, "audit sink 'otel': " + message);
    }

    /** A failure's kind and message, never a request or response body. */
    private static String describe(Throwable e) {
        if (e instanceof VaultException v) {
            return v.getMessage();
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : " (" + m + ")");
    }

    @Override
    public String toString() {
        return "OtelAuditSink[" + where + "]";
    }

    /**
     * Gathers the records {@link #write} emits, in order. Emission is synchronous on the writing thread,
     * so the records of one batch are complete when the last {@code emit()} returns.
     */
    private static final class Collector implements LogRecordProcessor {
        private List<LogRecordData> records;

        void begin() {
            records = new ArrayList<>();
        }

        List<LogRecordData> end() {
            List<LogRecordData> r = records;
            records = null;
            return r == null ? List.of() : r;
        }

        @Override
        public void onEmit(Context context, ReadWriteLogRecord logRecord) {
            if (records != null) {
                records.add(logRecord.toLogRecordData());
            }
        }
    }
}
