package dev.animavault.core.rotation;

import dev.animavault.core.plugin.EgressPolicy;
import dev.animavault.spi.VaultException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Sends one signed delivery as one HTTP/1.1 POST on a connection of its own. The host is resolved
 * <b>once</b> per attempt by the egress policy, every address checked, and the socket connects to the
 * checked address itself: nothing resolves the name again, so a DNS answer that changes to a private
 * address between the check and the connection cannot redirect the delivery. For https, TLS runs over
 * that socket with the URL's host name for SNI and certificate verification (the JDK's default trust
 * store). Plain http only to a destination the allow-list names (by host name, or the checked address).
 * No redirects (a 3xx is a failure); {@code webhook-timeout} bounds the connect (with TLS handshake)
 * and, again, sending the request and reading the whole response; at most 64 KiB of the response body is read. Thread-safe (no shared connection state).
 */
final class WebhookClient implements AutoCloseable {
    static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    /** What came of one attempt: the HTTP status (or 0 when none), an error text, the (bounded) body. */
    record Result(int status, String error, long millis, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        @Override
        public String toString() {
            return "Result[status=" + status + ", error=" + error + ", millis=" + millis + "]";
        }
    }

    private final EgressPolicy egress;
    private final Duration timeout;
    private final Clock clock;

    private final SSLContext tls;

    WebhookClient(EgressPolicy egress, Duration timeout, Clock clock) {
        this(egress, timeout, clock, null);
    }

    /** With {@code tls} as the TLS context (null: the JDK's default, its trust store). */
    WebhookClient(EgressPolicy egress, Duration timeout, Clock clock, SSLContext tls) {
        this.egress = egress;
        this.timeout = timeout;
        this.clock = clock;
        this.tls = tls;
    }

    Result deliver(URI url, String id, byte[] body, List<String> signingSecrets) {
        long start = System.nanoTime();
        InetAddress address;
        try {
            InetAddress[] checked = egress.checkedAddresses(url);
            address = checked[0];
            if ("http".equalsIgnoreCase(url.getScheme()) && !egress.isAllowListed(url.getHost(), address)) {
                return failure(start, "egress_denied: plain http to " + url.getHost() + " ("
                        + address.getHostAddress() + ") is denied: http only to hosts listed in vault.egress.allow");
            }
        } catch (VaultException e) {
            return failure(start, e.errorCode().code() + ": " + e.getMessage());
        }
        long ts = clock.instant().getEpochSecond();
        long deadline = start + timeout.toNanos();
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        try (Socket socket = connect(address, port, url.getHost(), https, deadline)) {
            OutputStream out = socket.getOutputStream();
            out.write(head(url, port, https, id, ts, body, signingSecrets));
            out.write(body);
            out.flush();
            // as the connect, the response has the whole timeout of its own
            Response r = read(new Deadline(socket, System.nanoTime() + timeout.toNanos()));
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (r.tooLarge) {
                return new Result(r.status, "response body larger than " + MAX_RESPONSE_BYTES + " bytes", ms, new byte[0]);
            }
            return new Result(r.status, r.status / 100 == 2 ? null : "HTTP " + r.status, ms, r.body);
        } catch (SocketTimeoutException e) {
            return failure(start, "timed out after " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return failure(start, "connection failed: " + e.getClass().getSimpleName());
        }
    }

    private static Result failure(long start, String error) {
        return new Result(0, error, (System.nanoTime() - start) / 1_000_000, new byte[0]);
    }

    private Socket connect(InetAddress address, int port, String host, boolean https, long deadline)
            throws IOException {
        Socket raw = new Socket();
        try {
            raw.setTcpNoDelay(true);
            raw.connect(new InetSocketAddress(address, port), remainingMillis(deadline));
            if (!https) {
                return raw;
            }
            SSLSocket tls = (SSLSocket) sslContext().getSocketFactory().createSocket(raw, host, port, true);
            SSLParameters p = tls.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the URL's host
            if (!isLiteral(host)) {
                p.setServerNames(List.of(new SNIHostName(host)));
            }
            tls.setSSLParameters(p);
            tls.setSoTimeout(remainingMillis(deadline));
            tls.startHandshake();
            return tls;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private SSLContext sslContext() throws IOException {
        if (tls != null) {
            return tls;
        }
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("no TLS", e);
        }
    }

    private static boolean isLiteral(String host) {
        return host.startsWith("[") || host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private static byte[] head(URI url, int port, boolean https, String id, long ts, byte[] body, List<String> secrets) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        boolean defaultPort = port == (https ? 443 : 80);
        String host = url.getHost().toLowerCase(Locale.ROOT);
        String h = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + host + (defaultPort ? "" : ":" + port) + "\r\n"
                + "Content-Type: application/json\r\n"
                + "User-Agent: anima-vault-webhooks/1\r\n"
                + "webhook-id: " + id + "\r\n"
                + "webhook-timestamp: " + ts + "\r\n"
                + "webhook-signature: " + WebhookSigner.sign(secrets, id, ts, body) + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        return h.getBytes(StandardCharsets.ISO_8859_1);
    }

    private record Response(int status, byte[] body, boolean tooLarge) {
    }

    /** Reads a response: status line, headers, then a Content-Length, chunked or read-to-close body. */
    private static Response read(Deadline in) throws IOException {
        int status;
        List<String> headers;
        do { // skip interim 1xx answers
            String statusLine = in.line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new java.net.ProtocolException("not an HTTP/1.x response");
            }
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new java.net.ProtocolException("bad status code");
            }
            headers = new java.util.ArrayList<>();
            for (String line = in.line(); !line.isEmpty(); line = in.line()) {
                headers.add(line);
            }
        } while (status >= 100 && status < 200);
        long length = -1;
        boolean chunked = false;
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            } else if (name.equals("content-length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new java.net.ProtocolException("bad Content-Length");
                }
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean tooLarge = false;
        if (status == 204 || status == 304) {
            return new Response(status, new byte[0], false);
        }
        if (chunked) {
            while (true) {
                String size = in.line();
                int semi = size.indexOf(';');
                long n;
                try {
                    n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new java.net.ProtocolException("bad chunk size");
                }
                if (n == 0) {
                    break;
                }
                if (body.size() + n > MAX_RESPONSE_BYTES) {
                    tooLarge = true;
                    break;
                }
                in.copy(body, n);
                in.line();
            }
        } else if (length >= 0) {
            if (length > MAX_RESPONSE_BYTES) {
                tooLarge = true;
            } else {
                in.copy(body, length);
            }
        } else {
            tooLarge = !in.copyToEnd(body, MAX_RESPONSE_BYTES);
        }
        byte[] b = body.toByteArray();
        if (tooLarge) {
            Arrays.fill(b, (byte) 0);
            b = new byte[0];
        }
        return new Response(status, b, tooLarge);
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    /** The socket's input, each read bounded by what is left of the attempt's deadline. */
    private static final class Deadline {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;

        Deadline(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = new java.io.BufferedInputStream(socket.getInputStream(), 8192);
            this.deadline = deadline;
        }

        private int read() throws IOException {
            socket.setSoTimeout(remainingMillis(deadline));
            return in.read();
        }

        /** A line without its CR LF (or bare LF), at most 16 KiB. */
        String line() throws IOException {
            StringBuilder b = new StringBuilder();
            while (true) {
                int c = read();
                if (c < 0) {
                    throw new EOFException("connection closed mid-response");
                }
                if (c == '\n') {
                    int n = b.length();
                    return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
                }
                if (b.length() >= MAX_HEADER_BYTES) {
                    throw new java.net.ProtocolException("response header line too long");
                }
                b.append((char) c);
            }
        }

        void copy(ByteArrayOutputStream out, long n) throws IOException {
            byte[] buf = new byte[4096];
            while (n > 0) {
                socket.setSoTimeout(remainingMillis(deadline));
                int r = in.read(buf, 0, (int) Math.min(buf.length, n));
                if (r < 0) {
                    throw new EOFException("connection closed mid-body");
                }
                out.write(buf, 0, r);
                n -= r;
            }
        }

        /** Copies until the peer closes; false when more than {@code max} bytes came. */
        boolean copyToEnd(ByteArrayOutputStream out, int max) throws IOException {
            byte[] buf = new byte[4096];
            while (true) {
                socket.setSoTimeout(remainingMillis(deadline));
                int r = in.read(buf);
                if (r < 0) {
                    return true;
                }
                out.write(buf, 0, r);
                if (out.size() > max) {
                    return false;
                }
            }
        }
    }

    @Override
    public void close() {
        // no pooled connections: every attempt closes its own
    }
}
