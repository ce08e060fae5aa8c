package dev.animavault.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: TLS to PostgreSQL with {@code ssl-mode: verify-full} and a CA file. A private server gets
 * a certificate from a throwaway CA (openssl); a node configured with that CA starts and works over
 * TLS; a node given another CA refuses to start with storage_unavailable.
 */
class PostgresTlsTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    @Test
    void verifyFullWithTheRightCaWorksAndWithAnotherCaFails() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        try (PrivatePostgres pg = PrivatePostgres.start()) {
            Path certs = tmp.resolve("certs");
            Files.createDirectories(certs);
            openssl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=anima test CA",
                    "-keyout", "ca.key", "-out", "ca.crt");
            openssl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other CA",
                    "-keyout", "other.key", "-out", "other.crt");
            openssl(certs, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
                    "-out", "server.csr");
            Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            openssl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
            // PostgreSQL wants its key private to its OS user
            Path data = pg.dataDir();
            Files.copy(certs.resolve("server.crt"), data.resolve("server.crt"));
            Files.copy(certs.resolve("server.key"), data.resolve("server.key"));
            if ("root".equals(System.getProperty("user.name"))) {
                run(List.of("chown", "postgres:", data.resolve("server.crt").toString(),
                        data.resolve("server.key").toString()));
            }
            Files.setPosixFilePermissions(data.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
            pg.superuserSql("ALTER SYSTEM SET ssl = on");
            pg.superuserSql("SELECT pg_reload_conf()");
            Thread.sleep(500);

            Map<String, String> storage = new HashMap<>(pg.storageConfig(pg.url()));
            storage.put("ssl-mode", "verify-full");
            storage.put("ssl-root-cert", certs.resolve("ca.crt").toString());
            try (TestVault vault = TestVault.start(tmp.resolve("a"),
                    b -> b.storage(new ProviderSpec("jdbc", storage)).rootKeyFile(tmp.resolve("root.key")))) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"tls\"}").status());
            }
            // the same settings through the driver: the session is encrypted
            Properties p = new Properties();
            p.setProperty("user", PrivatePostgres.USER);
            p.setProperty("password", PrivatePostgres.PASSWORD);
            p.setProperty("sslmode", "verify-full");
            p.setProperty("sslrootcert", certs.resolve("ca.crt").toString());
            try (Connection c = new org.postgresql.Driver().connect(pg.url(), p); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
                assertTrue(rs.next() && rs.getBoolean(1), "the connection uses TLS");
            }

            storage.put("ssl-root-cert", certs.resolve("other.crt").toString());
            VaultException e = assertThrows(VaultException.class, () -> TestVault.start(tmp.resolve("b"),
                    b -> b.storage(new ProviderSpec("jdbc", storage)).rootKeyFile(tmp.resolve("root.key"))).close());
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, e.errorCode(), e.getMessage());
            System.out.println("PostgresTlsTest: another CA refused: " + e.getMessage());
        }
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("/usr/bin/openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + out);
        }
    }
}
