package dev.animavault.plugin.storage.jdbc;

import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredRecord;
import dev.animavault.spi.storage.StoredSecret;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The per-request reads (run on {@link ReadSessions}: plain JDBC, statements prepared once per
 * connection) and the mappers of their one row. Stateless.
 */
final class HotQueries {

    // The per-request reads, by ReadSessions index; positional parameters (org, identity, key[, version, version]).
    // The row's key columns are not selected: the caller's key objects are reused.
    private static final String SECRET_VALUE_COLUMNS = "s.type, s.current_version, s.metadata, s.attributes, "
            + "s.created_at, s.updated_at, s.revision";
    // Schema V3: a secret's latest version is inline in its row (latest_*), the versions below it are in
    // secret_versions. The LEFT JOIN probes secret_versions' primary key for the wanted version; a version that
    // is the latest is never there (a miss), and then the inline columns answer.
    private static final String VERSIONS_JOIN = " LEFT JOIN secret_versions v ON v.org_id = s.org_id"
            + " AND v.identity_id = s.identity_id AND v.secret_key = s.secret_key";
    private static final String VERSION_COLUMNS = ", COALESCE(v.version, s.latest_version), COALESCE(v.value, s.latest_value),"
            + " COALESCE(v.created_at, s.latest_created_at), COALESCE(v.created_by, s.latest_created_by)";
    private static final String ONE_SECRET = " WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?";
    static final int READ_SECRET_CURRENT = 0;
    static final int READ_SECRET_VERSION = 1;
    static final int SECRET_METADATA = 2;
    static final int IDENTITY_BY_ID = 3;
    static final int RECORD_BY_KEY = 4;
    // The listings' pages (Listing), positional: (org[, identity][, after], limit).
    static final int LIST_IDENTITIES = 5;
    static final int LIST_IDENTITIES_AFTER = 6;
    static final int LIST_SECRETS = 7;
    static final int LIST_SECRETS_AFTER = 8;
    // (namespace[, after], limit): core lists records while it starts (issue 19: no Jdbi on that path)
    static final int LIST_RECORDS = 9;
    static final int LIST_RECORDS_AFTER = 10;
    // A page of secrets as one value (SQLite only: group_concat), positional like LIST_SECRETS.
    static final int LIST_SECRETS_PACKED = 11;
    static final int LIST_SECRETS_PACKED_AFTER = 12;
    /** The SQL of the per-request reads, indexed by the constants above. */
    static final String[] HOT_QUERIES = {
        // the current version: inline when it is the latest (no probe needed: the ON term on s alone is false)
        "SELECT " + SECRET_VALUE_COLUMNS + VERSION_COLUMNS + " FROM secrets s" + VERSIONS_JOIN
                + " AND v.version = s.current_version AND s.current_version <> s.latest_version" + ONE_SECRET
                + " AND (v.version IS NOT NULL OR s.current_version = s.latest_version)",
        // version n, parameters (org, identity, key, n, n): the secret's row in a sub-select so that its key
        // parameters come first (flattened by both databases: one primary-key look-up)
        "SELECT " + SECRET_VALUE_COLUMNS + VERSION_COLUMNS + " FROM (SELECT * FROM secrets s" + ONE_SECRET + ") s"
                + VERSIONS_JOIN + " AND v.version = ? WHERE v.version IS NOT NULL OR s.latest_version = ?",
        "SELECT " + SECRET_VALUE_COLUMNS + " FROM secrets s WHERE s.org_id = ? AND s.identity_id = ? AND s.secret_key = ?",
        "SELECT name, metadata, disabled, created_at, updated_at, revision FROM identities WHERE org_id = ? AND id = ?",
        "SELECT value, revision, updated_at FROM records WHERE namespace = ? AND record_key = ?",
        positional(Listing.listIdentitiesSql(false)),
        positional(Listing.listIdentitiesSql(true)),
        positional(Listing.listSecretsSql(false)),
        positional(Listing.listSecretsSql(true)),
        positional(Listing.listRecordsSql(false)),
        positional(Listing.listRecordsSql(true)),
        positional(Listing.listSecretsPackedSql(false)),
        positional(Listing.listSecretsPackedSql(true)),
    };

    private HotQueries() {
    }

    /** {@code sql} with its named parameters ({@code :name}) as positional ones, in the same order. */
    static String positional(String sql) {
        return sql.replaceAll(":[a-z]+", "?");
    }

    /** Maps the one row of a hot read; {@code a}, {@code b} and {@code ref} are the caller's key values. */
    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs, String a, String b, SecretRef ref) throws SQLException;
    }

    // Hot-read rows, by column index (see HOT_QUERIES); the key columns come from the caller.

    static SecretMetadata secretMetadataRow(ResultSet rs, String a, String b, SecretRef ref) throws SQLException {
        return new SecretMetadata(ref, rs.getString(1), rs.getInt(2), StringMapJson.decode(rs.getString(3)),
                StringMapJson.decode(rs.getString(4)), Codec.instant(rs.getLong(5)), Codec.instant(rs.getLong(6)),
                rs.getLong(7));
    }

    static StoredSecret storedSecretRow(ResultSet rs, String a, String b, SecretRef ref) throws SQLException {
        SecretMetadata m = secretMetadataRow(rs, a, b, ref);
        SecretVersion v = new SecretVersion(ref, rs.getInt(8), Codec.bytes(rs.getBytes(9)),
                Codec.instant(rs.getLong(10)), rs.getString(11));
        return new StoredSecret(m, v);
    }

    static Identity identityRow(ResultSet rs, String org, String id, SecretRef unused) throws SQLException {
        return new Identity(org, id, rs.getString(1), StringMapJson.decode(rs.getString(2)), rs.getBoolean(3),
                Codec.instant(rs.getLong(4)), Codec.instant(rs.getLong(5)), rs.getLong(6));
    }

    static StoredRecord recordRow(ResultSet rs, String namespace, String key, SecretRef unused)
            throws SQLException {
        return new StoredRecord(namespace, key, Codec.bytes(rs.getBytes(1)), rs.getLong(2),
                Codec.instant(rs.getLong(3)));
    }
}
