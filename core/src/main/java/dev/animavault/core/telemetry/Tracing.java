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
 * span per plugin call (storage backend, audit sink, credential type, root key provider). Nothing is
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
