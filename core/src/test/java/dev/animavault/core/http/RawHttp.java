package dev.animavault.core.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Raw bytes over a loopback socket: what an HTTP client library would never send. */
final class RawHttp {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    private RawHttp() {
    }

    /** What came back on one connection, and whether the server closed it. */
    record Exchange(String text, boolean closedByServer) {
        /** The status codes of every response in the stream, in order. */
        java.util.List<Integer> statuses() {
            java.util.List<Integer> out = new java.util.ArrayList<>();
            Matcher m = STATUS_LINE.matcher(text);
            while (m.find()) {
                out.add(Integer.parseInt(m.group(1)));
            }
            return out;
        }

        String body() {
            int i = text.indexOf("\r\n\r\n");
            return i < 0 ? "" : text.substring(i + 4);
        }
    }

    /** Writes {@code request}, then reads until the server closes or {@code quietMillis} pass without data. */
    static Exchange send(int port, byte[] request, int quietMillis) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(quietMillis);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (SocketException e) {
                // the server may close before everything is written: what it answered is still readable
            }
            return readAll(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Exchange send(int port, String request, int quietMillis) {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), quietMillis);
    }

    private static Exchange readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        boolean closed;
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                closed = false;
                break;
            } catch (SocketException e) {
                closed = true; // reset: closed as well
                break;
            }
            if (n < 0) {
                closed = true;
                break;
            }
            out.write(buf, 0, n);
        }
        return new Exchange(out.toString(StandardCharsets.ISO_8859_1), closed);
    }
}
