package dev.animavault.plugin.audit.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh schema (named {@code i15_audit_...}) on the shared PostgreSQL test server named by
 * {@code ANIMA_TEST_PG_URL}/{@code _USER}/{@code _PASSWORD} (see scripts/postgres.sh); the test is skipped
 * without it, and fails without it when {@code CI=true}.
 */
record PostgresSchema(String url, String user, String password, String schema) {

    static PostgresSchema create() {
        String url = setting("ANIMA_TEST_PG_URL");
        if (url == null && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI run without ANIMA_TEST_PG_URL");
        }
        assumeTrue(url != null, "ANIMA_TEST_PG_URL is not set: run eval \"$(scripts/postgres.sh env)\"");
        String schema = "i15_audit_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        PostgresSchema s = new PostgresSchema(url, setting("ANIMA_TEST_PG_USER"), setting("ANIMA_TEST_PG_PASSWORD"),
                schema);
        s.execute("CREATE SCHEMA " + schema);
        return s;
    }

    private static String setting(String name) {
        String v = System.getenv(name);
        return v != null ? v : System.getProperty(name);
    }

    String schemaUrl() {
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    Map<String, String> config() {
        Map<String, String> m = new HashMap<>();
        m.put("url", schemaUrl());
        if (user != null) {
            m.put("username", user);
        }
        if (password != null) {
            m.put("password", password);
        }
        return m;
    }

    void execute(String sql) {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run on " + url + ": " + sql, e);
        }
    }

    void drop() {
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
}
