package dev.animavault.plugin.audit.otel;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * A real OTLP/HTTP logs receiver on 127.0.0.1: decodes each POSTed body with the OTLP protobuf classes
 * (gunzipping when the request says gzip), keeps the requests and their headers, and answers with the
 * status a test sets (200 with an empty {@code ExportLogsServiceResponse} by default).
 */
final class OtlpReceiver implements AutoCloseable {
    record Received(ExportLogsServiceRequest request, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    final List<Received> received = new CopyOnWriteArrayList<>();
    final AtomicInteger status = new AtomicInteger(200);

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/v1/logs", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("POST")
                        || !"application/x-protobuf".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                    exchange.sendResponseHeaders(415, -1);
                    return;
                }
                InputStream in = exchange.getRequestBody();
                if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    in = new GZIPInputStream(in);
                }
                ExportLogsServiceRequest request = ExportLogsServiceRequest.parseFrom(in.readAllBytes());
                int s = status.get();
                if (s == 200) {
                    received.add(new Received(request, Map.copyOf(exchange.getRequestHeaders())));
                }
                byte[] body = s == 200 ? ExportLogsServiceResponse.getDefaultInstance().toByteArray() : new byte[0];
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(s, body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    exchange.getResponseBody().write(body);
                }
            }
        });
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/logs";
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every log record received, in order. */
    List<LogRecord> records() {
        return received.stream()
                .flatMap(r -> r.request().getResourceLogsList().stream())
                .flatMap(rl -> rl.getScopeLogsList().stream())
                .flatMap(sl -> sl.getLogRecordsList().stream())
                .toList();
    }

    static Map<String, Object> attributes(List<KeyValue> kvs) {
        return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> value(kv.getValue())));
    }

    static Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> v.getIntValue();
            case BOOL_VALUE -> v.getBoolValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            default -> v.toString();
        };
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
