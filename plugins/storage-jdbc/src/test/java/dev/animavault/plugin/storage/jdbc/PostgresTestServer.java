package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.ProviderConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real PostgreSQL server the tests run against, in this order:
 * <ol>
 *   <li>{@code ANIMA_TEST_PG_URL} (+ {@code ANIMA_TEST_PG_USER}, {@code ANIMA_TEST_PG_PASSWORD}) from the
 *       environment or from system properties of the same names;</li>
 *   <li>the throwaway server of {@code scripts/postgres.sh} when it is running;</li>
 *   <li>outside CI, as root: {@code scripts/postgres.sh start} is run, then as 2.</li>
 * </ol>
 * With none of these, the test fails when {@code CI=true} (a CI run must exercise PostgreSQL) and is
 * skipped otherwise, saying why. Each caller gets a fresh schema ({@link #freshSchemaUrl()}), so tests
 * never see each other's tables.
 */
final class PostgresTestServer {

    /** The connection settings of the server. */
    record Server(String url, String user, String password) {
        @Override
        public String toString() {
            return "Server[" + url + " as " + user + "]";
        }
    }

    private static Server server;

    private PostgresTestServer() {
    }

    static synchronized Server get() {
        if (server == null) {
            server = locate();
        }
        return server;
    }

    /** A JDBC URL whose {@code currentSchema} is a new, empty schema. */
    static String freshSchemaUrl() {
        Server s = get();
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create schema " + schema + " on " + s.url(), e);
        }
        return s.url() + (s.url().contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** Drops the schema a {@link #freshSchemaUrl()} URL points at, with everything in it. */
    static void dropSchema(String schemaUrl) {
        Server s = get();
        String schema = schemaUrl.substring(schemaUrl.lastIndexOf("currentSchema=") + "currentSchema=".length());
        try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password());
             Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop schema " + schema + " on " + s.url(), e);
        }
    }

    /** Factory configuration for the given URL with the server's credentials. */
    static ProviderConfig config(String url, Map<String, String> extra) {
        Server s = get();
        Map<String, String> values = new HashMap<>(extra);
        values.put("url", url);
        if (s.user() != null) {
            values.put("username", s.user());
        }
        if (s.password() != null) {
            values.put("password", s.password());
        }
        values.putIfAbsent("max-pool-size", "8");
        return ProviderConfig.of("jdbc", values, Set.of("password"));
    }

    private static Server locate() {
        Optional<String> url = setting("ANIMA_TEST_PG_URL");
        if (url.isPresent()) {
            return new Server(url.get(), setting("ANIMA_TEST_PG_USER").orElse(null),
                    setting("ANIMA_TEST_PG_PASSWORD").orElse(null));
        }
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Optional<Path> script = findScript();
        if (script.isPresent()) {
            Optional<Server> running = fromScript(script.get());
            if (running.isPresent()) {
                return running.get();
            }
            if (!ci && isRoot()) {
                run(script.get(), "start");
                Optional<Server> started = fromScript(script.get());
                if (started.isPresent()) {
                    return started.get();
                }
            }
        }
        String why = "no PostgreSQL server for the tests: set ANIMA_TEST_PG_URL (and ANIMA_TEST_PG_USER, "
                + "ANIMA_TEST_PG_PASSWORD) or run scripts/postgres.sh start before the build";
        if (ci) {
            fail(why + " (CI=true: PostgreSQL tests must not be skipped)");
        }
        Assumptions.abort(why);
        throw new IllegalStateException("unreachable");
    }

    private static Optional<String> setting(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            v = System.getProperty(name);
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** scripts/postgres.sh in this directory or a parent (the module runs from plugins/storage-jdbc). */
    private static Optional<Path> findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("scripts/postgres.sh");
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The server the script runs, read from its {@code env} output, if it is running. */
    private static Optional<Server> fromScript(Path script) {
        ProcessResult r = exec(script, "env");
        if (r.exitCode() != 0) {
            return Optional.empty();
        }
        Map<String, String> vars = new HashMap<>();
        for (String line : r.output().split("\n")) {
            // export NAME='value'
            String l = line.trim();
            if (l.startsWith("export ") && l.contains("=")) {
                String name = l.substring(7, l.indexOf('='));
                String value = l.substring(l.indexOf('=') + 1).replaceAll("^'|'$", "");
                vars.put(name, value);
            }
        }
        String url = vars.get("ANIMA_TEST_PG_URL");
        return url == null ? Optional.empty()
                : Optional.of(new Server(url, vars.get("ANIMA_TEST_PG_USER"), vars.get("ANIMA_TEST_PG_PASSWORD")));
    }

    private static void run(Path script, String command) {
        ProcessResult r = exec(script, command);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(script + " " + command + " failed (" + r.exitCode() + "): " + r.output());
        }
    }

    private record ProcessResult(int exitCode, String output) {
    }

    private static ProcessResult exec(Path script, String command) {
        try {
            Process p = new ProcessBuilder("bash", script.toString(), command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " " + command + " did not finish");
            }
            return new ProcessResult(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + script, e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name", "").toLowerCase(Locale.ROOT));
    }
}
