package dev.animavault.core.rotation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.animavault.core.plugin.EgressPolicy;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery client's https path against a real TLS server on 127.0.0.1 (a certificate for
 * {@code localhost} made with keytool): the request arrives with its headers and body and the answer is
 * read; the certificate must name the URL's host (the socket goes to the checked address, verification
 * still uses the name); an untrusted certificate is refused.
 */
class WebhookClientTlsTest {
    @TempDir
    Path tmp;

    private HttpsServer server;
    private SSLContext trusting;
    private final AtomicReference<String> received = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        Path store = tmp.resolve("server.p12");
        char[] pass = "changeit".toCharArray();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "san=dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, new String(p.getInputStream().readAllBytes()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, pass);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.set(exchange.getRequestHeaders().getFirst("webhook-id") + " "
                    + exchange.getRequestHeaders().getFirst("Host") + " " + body);
            byte[] answer = "{\"value\":\"new-one\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private WebhookClient client(SSLContext tls) {
        return new WebhookClient(new EgressPolicy(List.of("localhost", "127.0.0.1")), Duration.ofSeconds(5),
                Clock.systemUTC(), tls);
    }

    private URI url(String host) {
        return URI.create("https://" + host + ":" + server.getAddress().getPort() + "/hook");
    }

    @Test
    void aDeliveryOverTlsArrivesAndItsAnswerIsRead() {
        WebhookClient.Result r = client(trusting).deliver(url("localhost"), "rot_tls", "{\"a\":1}".getBytes(
                StandardCharsets.UTF_8), List.of("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])));
        assertEquals(200, r.status(), String.valueOf(r.error()));
        assertNull(r.error());
        assertEquals("{\"value\":\"new-one\"}", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("rot_tls localhost:" + server.getAddress().getPort() + " {\"a\":1}", received.get());
    }

    @Test
    void aCertificateThatDoesNotNameTheHostIsRefused() {
        WebhookClient.Result r = client(trusting).deliver(url("127.0.0.1"), "rot_ip", new byte[0],
                List.of("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])));
        assertEquals(0, r.status());
        assertTrue(r.error().startsWith("connection failed: SSL"), r.error());
        assertNull(received.get(), "nothing sent");
    }

    @Test
    void anUntrustedCertificateIsRefused() {
        WebhookClient.Result r = client(null).deliver(url("localhost"), "rot_untrusted", new byte[0],
                List.of("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])));
        assertEquals(0, r.status());
        assertTrue(r.error().startsWith("connection failed: SSL"), r.error());
        assertNull(received.get(), "nothing sent");
    }
}
