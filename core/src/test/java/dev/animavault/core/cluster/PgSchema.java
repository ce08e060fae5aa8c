package dev.animavault.core.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL schema of one test's own on the shared test server ({@code ANIMA_TEST_PG_URL}, {@code _USER},
 * {@code _PASSWORD} from the environment or system properties; {@code eval "$(scripts/postgres.sh env)"}):
 * created on {@link #create}, dropped with everything in it on {@link #close}. Skips the test (an
 * assumption) when the server is not configured.
 */
public final class PgSchema implements AutoCloseable {
    private final String base;
    private final String user;
    private final String password;
    private final String name;

    private PgSchema(String base, String user, String password, String name) {
        this.base = base;
        this.user = user;
        this.password = password;
        this.name = name;
    }

    /** Creates a schema named {@code prefix} plus a random suffix. */
    public static PgSchema create(String prefix) throws SQLException {
        String base = setting("ANIMA_TEST_PG_URL");
        Assumptions.assumeTrue(base != null, "ANIMA_TEST_PG_URL is not set (eval \"$(scripts/postgres.sh env)\")");
        PgSchema s = new PgSchema(base, setting("ANIMA_TEST_PG_USER"), setting("ANIMA_TEST_PG_PASSWORD"),
                prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        try (Connection c = s.connect(base); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + s.name);
        }
        return s;
    }

    private static String setting(String name) {
        String v = System.getenv(name);
        return v != null ? v : System.getProperty(name);
    }

    /** The JDBC URL with this schema as the current one. */
    public String url() {
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + name;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /**
     * A connection to this schema, through the driver directly, not DriverManager: in a test JVM
     * DriverManager may have been initialized under a plugin's class loader and then not offer the test
     * class path's driver.
     */
    public Connection connect() throws SQLException {
        return connect(url());
    }

    private Connection connect(String url) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return new org.postgresql.Driver().connect(url, p);
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = connect(base); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
        }
    }
}
