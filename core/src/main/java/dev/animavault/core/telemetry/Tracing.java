package dev.animavault.core.telemetry;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.concurrent.Callable;

/**
 * Core's OpenTelemetry spans, through {@code opentelemetry-api} only: a span per HTTP request and a child
 * span per plugin call (storage backend, audit sink, credential type, root key provider), the audit sinks'
 * calls inside an {@code audit.batch} span tied to the requests whose events they write ({@link #auditBatch}).
 * Nothing is
 * traced unless an OpenTelemetry SDK was registered as the global instance before the node started
 * ({@code GlobalOpenTelemetry}, e.g. by the OpenTelemetry Java agent or the SDK's autoconfiguration on the
 * class path): then {@link #tracer()} is null and every traced call site takes its untraced branch, so the
 * hot path pays one volatile read and allocates nothing.
 *
 * <p>Span attributes carry only names (HTTP method and path template parts, plugin kind and type, method
 * name, status and error code): never a secret value, a token, a query string or a body. Thread-safe.
 */
public final class Tracing {
    /** The instrumentation scope name. */
    public static final String SCOPE = "dev.animavault.core";
    private static volatile Tracer tracer;

    private Tracing() {
    }

    /**
     * Looks at the global OpenTelemetry instance (a node calls this when it starts): traces when an SDK is
     * registered, else nothing. Returns whether spans are made.
     */
    public static boolean configureFromGlobal() {
        return configure(GlobalOpenTelemetry.get());
    }

    /** Traces with {@code otel} when it records spans (an SDK), else not at all. */
    public static boolean configure(OpenTelemetry otel) {
        Tracer t = otel.getTracer(SCOPE);
        // a no-op tracer makes invalid spans; this probe is never ended, so an SDK never exports it
        Span probe = t.spanBuilder("anima-vault.probe").setNoParent().startSpan();
        boolean recording = probe.getSpanContext().isValid();
        tracer = recording ? t : null;
        return recording;
    }

    /** Stops tracing (tests). */
    public static void disable() {
        tracer = null;
    }

    /** The tracer, or null when nothing is traced (the common case: check before building anything). */
    public static Tracer tracer() {
        return tracer;
    }

    /**
     * Runs one HTTP request's handling inside a server span {@code <METHOD>} (a root span: trace context
     * from clients is not taken). Attributes: {@code http.request.method}, {@code url.path} (names only:
     * the path never holds a value or a token; the query string is not recorded), {@code anima.request_id},
     * {@code http.response.status_code}.
     */
    public static void request(Tracer t, String method, String path, String requestId, Runnable handle,
                               java.util.function.IntSupplier status) {
        Span span = t.spanBuilder(method).setSpanKind(io.opentelemetry.api.trace.SpanKind.SERVER).setNoParent()
                .setAttribute("http.request.method", method)
                .setAttribute("url.path", path)
                .setAttribute("anima.request_id", requestId)
                .startSpan();
        try (Scope ignored = span.makeCurrent()) {
            handle.run();
            int code = status.getAsInt();
            span.setAttribute("http.response.status_code", code);
            if (code >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
        } catch (RuntimeException | Error e) {
            // refused by a handler: the error handlers answer after this span (status unknown here)
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }

    /** At most this many request spans are linked from one {@link #auditBatch} span (the SDK's default limit). */
    static final int MAX_LINKS = 128;

    /**
     * The trace context of the span current on this thread (a request's, on a request thread), or null when
     * there is none: what an audit event carries from the request that recorded it to the flusher that writes it.
     */
    public static io.opentelemetry.api.trace.SpanContext currentOrigin() {
        io.opentelemetry.api.trace.SpanContext c = Span.current().getSpanContext();
        return c.isValid() ? c : null;
    }

    /**
     * Runs the audit sinks' writes of one batch inside a span {@code audit.batch} (the sinks' {@code audit.write}
     * spans are its children). The broker's flusher writes a batch on its own thread, where no request span is
     * current, and a batch may hold the events of several requests: so the span is a child of the request span
     * when every event of the batch came from one request ({@code origins}: the request span of each event,
     * null for events recorded outside a traced request), and otherwise a root span with a link to each request
     * span (up to {@value #MAX_LINKS}), as OpenTelemetry models a batch that serves several traces. Attributes:
     * {@code anima.audit.events}, {@code anima.audit.requests} (the distinct request spans).
     *
     * @return what {@code write} returned (false, whether any sink recorded the batch, marks the span an error)
     */
    public static boolean auditBatch(Tracer t, java.util.List<io.opentelemetry.api.trace.SpanContext> origins,
                                     java.util.function.BooleanSupplier write) {
        java.util.Set<io.opentelemetry.api.trace.SpanContext> distinct = new java.util.LinkedHashSet<>();
        for (io.opentelemetry.api.trace.SpanContext o : origins) {
            if (o != null && o.isValid()) {
                distinct.add(o);
            }
        }
        var b = t.spanBuilder("audit.batch")
                .setAttribute("anima.audit.events", (long) origins.size())
                .setAttribute("anima.audit.requests", (long) distinct.size());
        if (distinct.size() == 1) {
            b.setParent(io.opentelemetry.context.Context.root().with(Span.wrap(distinct.iterator().next())));
        } else {
            b.setNoParent();
            int linked = 0;
            for (io.opentelemetry.api.trace.SpanContext o : distinct) {
                if (linked++ == MAX_LINKS) {
                    break;
                }
                b.addLink(o);
            }
        }
        Span span = b.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            boolean recorded = write.getAsBoolean();
            if (!recorded) {
                span.setStatus(StatusCode.ERROR, "no audit sink recorded the batch");
            }
            return recorded;
        } catch (RuntimeException | Error e) {
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * Runs a plugin call inside a child span {@code <kind>.<method>} of the current span (the request's, on
     * a request thread), marking it as an error when the call throws.
     *
     * @param kind   {@code storage}, {@code audit}, {@code credential}, ...
     * @param type   the plugin's type name, or null
     * @param method the SPI method called
     */
    public static <T> T plugin(Tracer t, String kind, String type, String method, Callable<T> call) throws Exception {
        var b = t.spanBuilder(kind + "." + method)
                .setAttribute("anima.plugin.kind", kind)
                .setAttribute("anima.plugin.method", method);
        if (type != null) {
            b.setAttribute("anima.plugin.type", type);
        }
        Span span = b.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return call.call();
        } catch (Exception | Error e) {
            // the exception's class only: messages are safe by rule, but a span is no place to test that rule
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }
}
