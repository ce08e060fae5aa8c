package dev.animavault.plugin.audit.otel;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.OutboundHttpClient;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.Compressor;
import io.opentelemetry.sdk.common.export.HttpResponse;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.HttpSenderConfig;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Lets the OTLP exporter send through core's {@link OutboundHttpClient} (egress policy, no redirects,
 * timeouts) instead of a client of its own. Given to the exporter builder through a component loader, so
 * no {@code META-INF/services} entry is involved. One daemon thread per sender runs the blocking sends;
 * the exporter is called from one writer at a time, so they never queue for long. No retries: a failed
 * export fails the sink's write, and core decides what that means. Thread-safe.
 */
final class EgressHttpSenderProvider implements HttpSenderProvider {
    private final OutboundHttpClient client;
    private final SendObserver observer;

    /** Told the outcome of every send (the sink keeps it for health and error messages). */
    interface SendObserver {
        void sent(int status);

        void failed(Throwable error);
    }

    EgressHttpSenderProvider(OutboundHttpClient client, SendObserver observer) {
        this.client = requireNonNull(client, "client is null");
        this.observer = requireNonNull(observer, "observer is null");
    }

    @Override
    public HttpSender createSender(HttpSenderConfig config) {
        return new Sender(config);
    }

    private final class Sender implements HttpSender {
        private final HttpSenderConfig config;
        private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "audit-otel-export");
            t.setDaemon(true);
            return t;
        });

        Sender(HttpSenderConfig config) {
            this.config = config;
        }

        @Override
        public void send(MessageWriter writer, Consumer<HttpResponse> onResponse, Consumer<Throwable> onError) {
            try {
                executor.execute(() -> sendNow(writer, onResponse, onError));
            } catch (RejectedExecutionException e) {
                onError.accept(new IOException("the exporter is shut down", e));
            }
        }

        private void sendNow(MessageWriter writer, Consumer<HttpResponse> onResponse, Consumer<Throwable> onError) {
            HttpRequest request;
            try {
                request = request(writer);
            } catch (IOException | RuntimeException e) {
                observer.failed(e);
                onError.accept(e);
                return;
            }
            java.net.http.HttpResponse<byte[]> response;
            try {
                response = client.send(request);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                observer.failed(e);
                onError.accept(e);
                return;
            } catch (IOException | RuntimeException e) {
                observer.failed(e);
                onError.accept(e);
                return;
            }
            observer.sent(response.statusCode());
            byte[] body = response.body() == null ? new byte[0] : response.body();
            int status = response.statusCode();
            onResponse.accept(new HttpResponse() {
                @Override
                public int getStatusCode() {
                    return status;
                }

                @Override
                public String getStatusMessage() {
                    return String.valueOf(status);
                }

                @Override
                public byte[] getResponseBody() {
                    return body;
                }
            });
        }

        private HttpRequest request(MessageWriter writer) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, writer.getContentLength()));
            Compressor compressor = config.getCompressor();
            HttpRequest.Builder b = HttpRequest.newBuilder(config.getEndpoint())
                    .timeout(config.getTimeout())
                    .header("Content-Type", config.getContentType());
            if (compressor != null) {
                try (OutputStream out = compressor.compress(bytes)) {
                    writer.writeMessage(out);
                }
                b.header("Content-Encoding", compressor.getEncoding());
            } else {
                writer.writeMessage(bytes);
            }
            Map<String, List<String>> headers = config.getHeadersSupplier() == null ? Map.of()
                    : config.getHeadersSupplier().get();
            if (headers != null) {
                headers.forEach((name, values) -> values.forEach(v -> b.header(name, v)));
            }
            return b.POST(HttpRequest.BodyPublishers.ofByteArray(bytes.toByteArray())).build();
        }

        @Override
        public CompletableResultCode shutdown() {
            executor.shutdownNow();
            return CompletableResultCode.ofSuccess();
        }
    }
}
