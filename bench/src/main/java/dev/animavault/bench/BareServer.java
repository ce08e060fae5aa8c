package dev.animavault.bench;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The baseline of the HTTP benchmark: Helidon SE answering the vault's secret-read route with a fixed
 * JSON body of a given size, and doing nothing else (no auth, no storage, no crypto, no audit).
 * The vault's numbers are reported as a ratio against this server, measured in the same run.
 *
 * <p>Usage: {@code BareServer <port> <body-bytes>}; binds 127.0.0.1 only.
 */
public final class BareServer {

    private BareServer() {
    }

    /**
     * Starts the server and blocks until the JVM is stopped.
     *
     * @param args port, body size in bytes
     */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: BareServer <port> <body-bytes>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        byte[] body = jsonBody(Integer.parseInt(args[1]));
        LogConfig.configureRuntime();

        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .routing(routing -> routing
                        .get("/v1/sys/health", (req, res) -> res.send("{\"status\":\"ok\"}"))
                        .get("/v1/vault/secrets/{identityId}/{key}", (req, res) -> {
                            res.headers().contentType(MediaTypes.APPLICATION_JSON);
                            res.send(body);
                        }))
                .build()
                .start();
        System.out.println("bare server listening on http://127.0.0.1:" + server.port() + " (body " + body.length + " bytes)");
    }

    /** {@code {"value":"xxxx"}} padded to exactly {@code size} bytes (at least the 12 bytes of the frame). */
    static byte[] jsonBody(int size) {
        String prefix = "{\"value\":\"";
        String suffix = "\"}";
        int padding = Math.max(0, size - prefix.length() - suffix.length());
        char[] fill = new char[padding];
        Arrays.fill(fill, 'x');
        return (prefix + new String(fill) + suffix).getBytes(StandardCharsets.US_ASCII);
    }
}
