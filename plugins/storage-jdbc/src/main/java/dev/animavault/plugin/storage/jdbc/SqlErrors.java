package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Turns JDBC failures into {@link VaultException}s. Messages name the operation, the SQLState and the
 * URL (password masked), never bound values; the driver's exception is kept as the cause for core's
 * log.
 */
final class SqlErrors {

    /** What kind of failure a {@link SQLException} is. */
    enum Kind {
        /** A unique or primary key constraint: the thing exists. */
        UNIQUE_VIOLATION,
        /** A foreign key constraint: the parent is gone. */
        FOREIGN_KEY_VIOLATION,
        /** PostgreSQL serialization failure or deadlock: the transaction may be retried. */
        RETRYABLE,
        /** The database cannot be reached, is busy or out of resources. */
        UNAVAILABLE,
        /** The input is not acceptable to the database (bad text encoding, value too long). */
        BAD_DATA,
        /** Anything else. */
        OTHER
    }

    private SqlErrors() {
    }

    /** The first {@link SQLException} in the cause chain, if any. */
    static SQLException sqlCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }

    static Kind classify(SQLException e) {
        if (e instanceof SQLiteException se) {
            SQLiteErrorCode code = se.getResultCode();
            return switch (code) {
                case SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE -> Kind.UNIQUE_VIOLATION;
                case SQLITE_CONSTRAINT_FOREIGNKEY -> Kind.FOREIGN_KEY_VIOLATION;
                case SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE -> Kind.BAD_DATA;
                default -> (code.code & 0xff) == SQLiteErrorCode.SQLITE_CONSTRAINT.code
                        ? sqliteConstraint(String.valueOf(se.getMessage()))
                        : sqliteUnavailable(code);
            };
        }
        if (e instanceof SQLTransientConnectionException) {
            return Kind.UNAVAILABLE; // HikariCP: no connection within connection-timeout
        }
        String state = e.getSQLState();
        if (state == null) {
            return Kind.OTHER;
        }
        if (state.equals("23505")) {
            return Kind.UNIQUE_VIOLATION;
        }
        if (state.equals("23503")) {
            return Kind.FOREIGN_KEY_VIOLATION;
        }
        if (state.equals("40001") || state.equals("40P01")) {
            return Kind.RETRYABLE;
        }
        if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57") || state.startsWith("58")) {
            return Kind.UNAVAILABLE; // connection, resources, operator intervention, system error
        }
        if (state.startsWith("22")) {
            return Kind.BAD_DATA;
        }
        return Kind.OTHER;
    }

    /** Without extended result codes SQLite reports every constraint as 19; the message tells which. */
    private static Kind sqliteConstraint(String message) {
        if (message.contains("UNIQUE constraint failed") || message.contains("PRIMARY KEY")) {
            return Kind.UNIQUE_VIOLATION;
        }
        if (message.contains("FOREIGN KEY constraint failed")) {
            return Kind.FOREIGN_KEY_VIOLATION;
        }
        return Kind.OTHER;
    }

    private static Kind sqliteUnavailable(SQLiteErrorCode code) {
        // BUSY/LOCKED after busy-timeout, disk full, I/O errors, read-only or unopenable files, corruption
        return switch (code.code & 0xff) {
            case 5, 6, 10, 11, 13, 14, 8, 26 -> Kind.UNAVAILABLE;
            default -> Kind.OTHER;
        };
    }

    /** The exception to throw for a failed operation. */
    static VaultException translate(String operation, String redactedUrl, Throwable failure) {
        if (failure instanceof VaultException v) {
            return v;
        }
        SQLException sql = sqlCause(failure);
        if (sql == null) {
            return new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage operation " + operation
                    + " failed against " + redactedUrl + " (" + failure.getClass().getSimpleName() + ")", failure);
        }
        String detail = " (SQLState " + sql.getSQLState() + ", error " + sql.getErrorCode() + ")";
        return switch (classify(sql)) {
            case UNIQUE_VIOLATION -> new VaultException(ErrorCode.ALREADY_EXISTS,
                    operation + ": the item already exists", failure);
            case BAD_DATA -> new VaultException(ErrorCode.INVALID_ARGUMENT,
                    operation + ": the database refused the input" + detail, failure);
            case UNAVAILABLE -> new VaultException(ErrorCode.STORAGE_UNAVAILABLE, "storage at " + redactedUrl
                    + " is unavailable during " + operation + detail + ": " + safeMessage(sql), failure);
            default -> new VaultException(ErrorCode.STORAGE_UNAVAILABLE,
                    "storage operation " + operation + " failed against " + redactedUrl + detail, failure);
        };
    }

    /**
     * The driver's message for connection-level failures (e.g. "Connection refused", "database is
     * locked", "password authentication failed for user x"); these never carry bound values.
     */
    private static String safeMessage(SQLException e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        m = m.replace('\n', ' ');
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
