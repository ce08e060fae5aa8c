package dev.animavault.plugin.storage.vaultwarden;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed TLS certificate for 127.0.0.1 made once per test JVM with the JDK's keytool: the
 * server's key store and the certificate as PEM (for the plugin's {@code ca-certificate} and the
 * Bitwarden CLI's {@code NODE_EXTRA_CA_CERTS}).
 */
final class TestTls {
    private static final char[] PASSWORD = "test-keystore".toCharArray();
    private static TestTls instance;

    private final Path pem;
    private final SSLContext serverContext;

    private TestTls(Path pem, SSLContext serverContext) {
        this.pem = pem;
        this.serverContext = serverContext;
    }

    static synchronized TestTls get() {
        if (instance == null) {
            instance = create();
        }
        return instance;
    }

    Path pem() {
        return pem;
    }

    SSLContext serverContext() {
        return serverContext;
    }

    private static TestTls create() {
        try {
            Path dir = Files.createTempDirectory("anima-vw-tls");
            dir.toFile().deleteOnExit();
            Path ks = dir.resolve("server.p12");
            Path pem = dir.resolve("ca.pem");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            run(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
                    "-validity", "3", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost",
                    "-ext", "bc:c", "-keystore", ks.toString(), "-storetype", "PKCS12",
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)));
            run(List.of(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", ks.toString(),
                    "-storepass", new String(PASSWORD), "-file", pem.toString()));
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                store.load(in, PASSWORD);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            pem.toFile().deleteOnExit();
            ks.toFile().deleteOnExit();
            return new TestTls(pem, ctx);
        } catch (IOException | GeneralSecurityException | InterruptedException e) {
            throw new IllegalStateException("cannot create the test TLS certificate", e);
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
    }
}
