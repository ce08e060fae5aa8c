package dev.animavault.core.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of one test's own (scripts/postgres.sh with its own data directory and port), so
 * the test may stop and start it without disturbing anybody sharing the machine's test server. Needs
 * the PostgreSQL server binaries and, as root, the {@code postgres} OS user; the test is skipped
 * (failed with {@code CI=true}) when the server cannot be started.
 */
final class PrivatePostgres implements AutoCloseable {
    static final String USER = "animavault";
    static final String PASSWORD = "animavault-test";

    private final Path script;
    private final Path dir;
    private final int port;

    private PrivatePostgres(Path script, Path dir, int port) {
        this.script = script;
        this.dir = dir;
        this.port = port;
    }

    /** Initialises and starts a fresh server in a new directory under /tmp on a free port. */
    static PrivatePostgres start() {
        Path script = findScript();
        Path dir = Path.of("/tmp", "anima-pg-test-" + UUID.randomUUID().toString().substring(0, 8));
        PrivatePostgres pg = new PrivatePostgres(script, dir, freePort());
        String out = pg.run("start");
        if (!pg.running()) {
            String why = "cannot start a private PostgreSQL server: " + out;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(why);
            }
            Assumptions.abort(why);
        }
        return pg;
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/animavault";
    }

    int port() {
        return port;
    }

    /** Stops the server (fast shutdown: sessions are terminated). */
    void stop() {
        run("stop");
    }

    /** Starts it again on the same port (waits until it accepts connections). */
    void restart() {
        String out = run("start");
        if (!running()) {
            throw new IllegalStateException("PostgreSQL did not start again: " + out);
        }
    }

    boolean running() {
        try {
            return exec("status").exitCode == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", PASSWORD);
        return new org.postgresql.Driver().connect(url(), p);
    }

    /** A new schema and the URL that uses it. */
    String freshSchemaUrl(String prefix) throws SQLException {
        String schema = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        return url() + "?currentSchema=" + schema;
    }

    Map<String, String> storageConfig(String url) {
        return Map.of("url", url, "username", USER, "password", PASSWORD);
    }

    /** The server's data directory (PostgreSQL reads its certificate files from there). */
    Path dataDir() {
        return dir.resolve("data");
    }

    /** Runs {@code sql} as the superuser through psql on the server's socket. */
    void superuserSql(String sql) {
        Path psql = null;
        try (var dirs = Files.newDirectoryStream(Path.of("/usr/lib/postgresql"))) {
            for (Path d : dirs) {
                if (Files.isExecutable(d.resolve("bin/psql"))) {
                    psql = d.resolve("bin/psql");
                }
            }
        } catch (IOException e) {
            // fall back to PATH
        }
        List<String> cmd = new java.util.ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(psql == null ? "psql" : psql.toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", dir.resolve("sock").toString(), "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres",
                "-c", sql));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("psql failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        run("destroy");
    }

    private String run(String command) {
        Result r = exec(command);
        if (r.exitCode != 0 && !command.equals("start")) {
            throw new IllegalStateException("postgres.sh " + command + " failed: " + r.output);
        }
        return r.output;
    }

    private record Result(int exitCode, String output) {
    }

    private Result exec(String command) {
        try {
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), command).redirectErrorStream(true);
            pb.environment().put("ANIMA_PG_DIR", dir.toString());
            pb.environment().put("ANIMA_PG_PORT", Integer.toString(port));
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("postgres.sh " + command + " did not finish");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path findScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("scripts/postgres.sh");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("scripts/postgres.sh not found");
    }
}
