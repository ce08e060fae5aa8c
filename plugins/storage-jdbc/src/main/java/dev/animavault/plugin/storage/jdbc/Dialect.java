package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.util.Locale;

/** The databases this plugin speaks, told apart by the JDBC URL's prefix. */
enum Dialect {
    SQLITE("jdbc:sqlite:", "org.sqlite.JDBC", "sqlite"),
    POSTGRESQL("jdbc:postgresql:", "org.postgresql.Driver", "postgresql");

    private final String urlPrefix;
    private final String driverClassName;
    private final String migrationFolder;

    Dialect(String urlPrefix, String driverClassName, String migrationFolder) {
        this.urlPrefix = urlPrefix;
        this.driverClassName = driverClassName;
        this.migrationFolder = migrationFolder;
    }

    /** The driver class, loaded by name from the plugin's class loader (no DriverManager lookup). */
    String driverClassName() {
        return driverClassName;
    }

    String urlPrefix() {
        return urlPrefix;
    }

    /** The resource folder of this dialect's migration scripts. */
    String migrationFolder() {
        return "db/migration/" + migrationFolder;
    }

    static Dialect of(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        for (Dialect d : values()) {
            if (lower.startsWith(d.urlPrefix)) {
                return d;
            }
        }
        throw new VaultException(ErrorCode.CONFIGURATION, "configuration key 'url' of storage 'jdbc' must start with "
                + SQLITE.urlPrefix + " or " + POSTGRESQL.urlPrefix + " (got " + JdbcUrls.redact(url) + ")");
    }
}
