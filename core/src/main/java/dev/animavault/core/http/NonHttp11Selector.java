package dev.animavault.core.http;

import dev.animavault.spi.ErrorCode;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Answers the connections Helidon's HTTP/1.1 selector would close without a word: a first line that does
 * not end in {@code " HTTP/1.1\r\n"} (HTTP/1.0, HTTP/2 prior knowledge, bare LF line ends, garbage) or no
 * line end within the request-line limit. Registered ahead of Helidon's selector, it claims exactly those
 * connections (the complement of Helidon's own test), writes one problem+json response (505, 414 or 400)
 * with {@code Connection: close} and ends the connection. Well-formed HTTP/1.1 goes on to Helidon.
 */
final class NonHttp11Selector implements ServerConnectionSelector {
    private static final System.Logger LOG = System.getLogger(NonHttp11Selector.class.getName());
    /** A request line of some other HTTP version: method, target, {@code HTTP/x[.y]}. */
    private static final Pattern OTHER_VERSION = Pattern.compile("[!-~]+ [!-~]+ HTTP/[0-9](\\.[0-9])?\r");

    private final int maxRequestLine;

    NonHttp11Selector(int maxRequestLine) {
        this.maxRequestLine = maxRequestLine;
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        int lf = data.indexOf((byte) '\n');
        if (lf == -1) {
            // Helidon's selector takes a partial line up to the limit (its prologue reader then answers 414)
            return data.available() > maxRequestLine ? Support.SUPPORTED : Support.UNSUPPORTED;
        }
        return data.readString(lf).endsWith(" HTTP/1.1\r") ? Support.UNSUPPORTED : Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new Refusal(ctx, maxRequestLine);
    }

    /** The whole life of a refused connection: one response, then close. */
    private static final class Refusal implements ServerConnection {
        private final ConnectionContext ctx;
        private final int maxRequestLine;

        Refusal(ConnectionContext ctx, int maxRequestLine) {
            this.ctx = ctx;
            this.maxRequestLine = maxRequestLine;
        }

        @Override
        public void handle(Limit limit) {
            int available = ctx.dataReader().available();
            BufferData peek = ctx.dataReader().getBuffer(available);
            int lf = peek.indexOf((byte) '\n');
            String line = lf == -1 ? null : peek.readString(lf);
            int status;
            String reason;
            String detail;
            if (line == null) {
                status = 414;
                reason = "URI Too Long";
                detail = "request line is longer than " + maxRequestLine + " bytes";
            } else if (OTHER_VERSION.matcher(line).matches()) {
                status = 505;
                reason = "HTTP Version Not Supported";
                detail = "only HTTP/1.1 is served";
            } else {
                status = 400;
                reason = "Bad Request";
                detail = "malformed request line (HTTP/1.1 with CRLF line ends expected)";
            }
            LOG.log(System.Logger.Level.INFO, "Refused a request from {0} before routing: {1} ({2})",
                    ctx.remotePeer().host(), String.valueOf(status), detail);
            Map<String, Object> body = Problems.body(ErrorCode.INVALID_ARGUMENT, detail, null, "-");
            body.put("status", status);
            byte[] entity = Json.write(body);
            byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\n"
                    + "Connection: close\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "Content-Type: " + Problems.MEDIA_TYPE + "\r\n"
                    + "Content-Length: " + entity.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] response = new byte[head.length + entity.length];
            System.arraycopy(head, 0, response, 0, head.length);
            System.arraycopy(entity, 0, response, head.length, entity.length);
            ctx.dataWriter().writeNow(BufferData.create(response));
            // what was read stays unread on purpose: nothing more of this connection is parsed
            ctx.dataReader().skip(available);
        }

        @Override
        public Duration idleTime() {
            return Duration.ZERO;
        }

        @Override
        public void close(boolean interrupt) {
            // handle() returns after one write; the connection handler then closes the socket
        }
    }
}
