package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.plugin.storage.jdbc.JdbcAccess.ListRow;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The listings of identities (of an organization), secrets (of an identity) and records (of a
 * namespace): keyset pages, each one query asking for {@code limit + 1} rows (the
 * extra row tells whether a next page exists); the cursor is the last key of the page
 * ({@link Codec#cursor}). All three are listed on the per-request reads' path
 * ({@link JdbcAccess#hotList}: statements prepared once per connection, columns read by index); records too,
 * since core lists them while it starts (issue 19: Jdbi stays off the startup path). Thread-safe (stateless but for the shared
 * {@link JdbcAccess}).
 */
final class Listing {

    /** Separates a secret row's fields in {@link #SECRET_COLUMNS}; no stored field holds it (see there). */
    private static final char SEP = '\u001f';
    /**
     * A secret row as one text column: key, type, current version, created, updated, revision, metadata and
     * attributes joined by {@link #SEP}. One column instead of eight: the drivers' per-column calls (JNI for
     * SQLite) were a fifth of a page's cost. Keys and types are validated names, the numbers are digits and
     * the two maps are {@link StringMapJson} documents, which escape every control character, so only a
     * tampered row can hold {@code SEP}; its fields then fail the core's MAC check (the maps are split at
     * the last separator) or do not parse. The key columns before the last one are not selected: the
     * caller's values are reused. Joined with {@code concat_ws}, which both dialects have (SQLite since 3.44;
     * every column is {@code NOT NULL}, so none is skipped) and which builds the row once, where a chain of
     * {@code ||} copied the growing text once per operator (a page's query 81 instead of 96 us of CPU in an
     * ad-hoc JDBC loop over 1,000 secrets, and 131 us for eight separate columns).
     */
    private static final String SECRET_COLUMNS = "concat_ws('" + SEP + "', s.secret_key, s.type, s.current_version,"
            + " s.created_at, s.updated_at, s.revision, s.metadata, s.attributes)";

    /**
     * An identity row as one text column, like {@link #SECRET_COLUMNS} (issue 19: seven per-column driver
     * calls were the largest part of an identity page in a Java-side profile): id, disabled ({@code 1} or
     * {@code 0} in both dialects), created, updated, revision, name and metadata joined by {@link #SEP}. The
     * id is a validated name and the numbers are digits; the name may hold anything, so it comes between the
     * fifth separator and the last one, and the metadata, a {@link StringMapJson} document (which escapes
     * every control character), after the last.
     * The organization column is not selected: the caller's value is reused.
     */
    private static final String IDENTITY_COLUMNS = "concat_ws('" + SEP + "', id, CASE WHEN disabled THEN '1' ELSE '0' END,"
            + " created_at, updated_at, revision, name, metadata)";

    /**
     * The listings: keyset pagination on the primary key's last column after an equality on the ones
     * before it, so both dialects answer a page from the primary key index (a range scan stopping after
     * {@code limit} rows, no sort), whatever the table's size; {@code ListingPlanTest} checks the plans.
     * Named parameters: the prefix's columns, {@code :after} (with a cursor) and {@code :limit}.
     */
    static String listIdentitiesSql(boolean after) {
        return "SELECT " + IDENTITY_COLUMNS + " FROM identities"
                + " WHERE org_id = :org" + (after ? " AND id > :after" : "") + " ORDER BY id LIMIT :limit";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listSecretsSql(boolean after) {
        return "SELECT " + SECRET_COLUMNS + " FROM secrets s WHERE s.org_id = :org AND s.identity_id = :identity"
                + (after ? " AND s.secret_key > :after" : "") + " ORDER BY s.secret_key LIMIT :limit";
    }

    /** Separates the rows of a packed page ({@link #listSecretsPackedSql}); no stored field holds it (see {@link #SEP}). */
    private static final char ROW_SEP = '\u001e';

    /**
     * {@link #listSecretsSql} packed into one value (SQLite only): the page's rows, each as {@link #SECRET_COLUMNS},
     * joined by {@link #ROW_SEP} with {@code group_concat} over the same keyset query (the same plan: a range
     * search on the primary key, no sort; {@code ListingPlanTest}). One step and one text column per page instead
     * of one step and one column per row: sqlite-jdbc's per-row JNI calls ({@code next}, {@code getString}) were
     * ~0.2 us a row, ~20% of the query's CPU on a page nobody listed lately (issue 19's walk). SQLite does not
     * promise that {@code group_concat} keeps the subquery's order (it does: the subquery is a co-routine
     * feeding the aggregate in order), so the caller checks the keys ascend and runs {@link #listSecretsSql} when
     * they do not. Zero rows give one {@code NULL}. A {@code group_concat(... ORDER BY ...)} would sort (a third
     * dearer than the rows one by one).
     */
    static String listSecretsPackedSql(boolean after) {
        return "SELECT group_concat(r, char(" + (int) ROW_SEP + ")) FROM (" + listSecretsSql(after).replace(
                "SELECT " + SECRET_COLUMNS + " FROM", "SELECT " + SECRET_COLUMNS + " AS r FROM") + ")";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listRecordsSql(boolean after) {
        return "SELECT namespace, record_key, value, revision, updated_at FROM records WHERE namespace = :ns"
                + (after ? " AND record_key > :after" : "") + " ORDER BY record_key LIMIT :limit";
    }

    private final JdbcAccess db;
    /** Rows of identity pages decoded lately (2,048: the rows of 20 pages of 100, a few hundred KB). */
    private final DecodedRows<Identity> identityRows = new DecodedRows<>(2048);
    /** Rows of secret pages decoded lately. */
    private final DecodedRows<SecretMetadata> secretRows = new DecodedRows<>(2048);

    Listing(JdbcAccess db) {
        this.db = requireNonNull(db, "db is null");
    }

    Page<Identity> listIdentities(String organizationId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        ListRow<Identity> row = rs -> {
            String text = rs.getString(1);
            Identity i = text == null ? null : identityRows.get(organizationId, text);
            if (i == null) {
                i = identityRow(organizationId, text);
                identityRows.put(organizationId, text, i);
            }
            return i;
        };
        List<Identity> rows = after.isPresent()
                ? db.hotList("listIdentities", HotQueries.LIST_IDENTITIES_AFTER, page.limit() + 1, row,
                        organizationId, after.get())
                : db.hotList("listIdentities", HotQueries.LIST_IDENTITIES, page.limit() + 1, row, organizationId);
        return page(rows, page.limit(), Identity::id);
    }

    Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        String scope = organizationId + SEP + identityId;
        if (db.dialect() == Dialect.SQLITE) {
            List<String> packed = after.isPresent()
                    ? db.hotList("listSecrets", HotQueries.LIST_SECRETS_PACKED_AFTER, page.limit() + 1, TEXT,
                            organizationId, identityId, after.get())
                    : db.hotList("listSecrets", HotQueries.LIST_SECRETS_PACKED, page.limit() + 1, TEXT, organizationId,
                            identityId);
            List<SecretMetadata> rows = unpacked(organizationId, identityId, scope,
                    packed.isEmpty() ? null : packed.get(0), page.limit() + 1);
            if (rows != null) {
                return page(rows, page.limit(), m -> m.ref().key());
            }
            // not in key order (SQLite does not promise it for group_concat): the rows one by one
        }
        ListRow<SecretMetadata> row = rs -> secretRow(organizationId, identityId, scope, rs.getString(1));
        List<SecretMetadata> rows = after.isPresent()
                ? db.hotList("listSecrets", HotQueries.LIST_SECRETS_AFTER, page.limit() + 1, row,
                        organizationId, identityId, after.get())
                : db.hotList("listSecrets", HotQueries.LIST_SECRETS, page.limit() + 1, row, organizationId, identityId);
        return page(rows, page.limit(), m -> m.ref().key());
    }

    Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        List<StoredRecord> rows = after.isPresent()
                ? db.hotList("listRecords", HotQueries.LIST_RECORDS_AFTER, page.limit() + 1, RECORD, namespace,
                        after.get())
                : db.hotList("listRecords", HotQueries.LIST_RECORDS, page.limit() + 1, RECORD, namespace);
        return page(rows, page.limit(), StoredRecord::key);
    }


    /** The first column as text. */
    private static final ListRow<String> TEXT = rs -> rs.getString(1);

    /** A row of {@link #SECRET_COLUMNS} under {@code scope}, decoded lately or now. */
    private SecretMetadata secretRow(String organizationId, String identityId, String scope, String text)
            throws SQLException {
        SecretMetadata m = text == null ? null : secretRows.get(scope, text);
        if (m == null) {
            m = secretRow(organizationId, identityId, text);
            secretRows.put(scope, text, m);
        }
        return m;
    }

    /** The rows of a packed page of secrets, decoded (lately or now), or null as {@link #unpacked(String, int, PackedRow)}. */
    private List<SecretMetadata> unpacked(String organizationId, String identityId, String scope, String packed,
            int max) {
        try {
            return unpacked(packed, max, text -> {
                SecretMetadata m = secretRow(organizationId, identityId, scope, text);
                return new KeyedRow<>(m.ref().key(), m);
            });
        } catch (SQLException e) {
            throw db.failure("listSecrets", e);
        }
    }

    /** A packed page's row text decoded, with its key. */
    interface PackedRow<T> {
        KeyedRow<T> decode(String text) throws SQLException;
    }

    /** A decoded row and the key it is ordered by. */
    record KeyedRow<T>(String key, T row) {
    }

    /**
     * The rows of a packed page ({@link #listSecretsPackedSql}; null: none), or null when their keys do not
     * strictly ascend (then the caller lists them one by one) or there are more than {@code max}. Keys are
     * compared as Java strings: for keys that SQLite's byte order and UTF-16 order rank differently this answers
     * null, and the caller's row-by-row listing is as correct, only slower.
     */
    static <T> List<T> unpacked(String packed, int max, PackedRow<T> rows) throws SQLException {
        List<T> out = new ArrayList<>(max);
        if (packed == null) {
            return out;
        }
        String previous = null;
        int from = 0;
        while (true) {
            int end = packed.indexOf(ROW_SEP, from);
            KeyedRow<T> r = rows.decode(packed.substring(from, end < 0 ? packed.length() : end));
            if ((previous != null && previous.compareTo(r.key()) >= 0) || out.size() == max) {
                return null;
            }
            previous = r.key();
            out.add(r.row());
            if (end < 0) {
                return out;
            }
            from = end + 1;
        }
    }

    /** A row of {@link #IDENTITY_COLUMNS}. */
    static Identity identityRow(String organizationId, String row) throws SQLException {
        int[] at = new int[5];
        int from = 0;
        for (int i = 0; i < at.length; i++) {
            at[i] = row == null ? -1 : row.indexOf(SEP, from);
            if (at[i] < 0) {
                throw new SQLException("an identities row of " + organizationId + " is malformed");
            }
            from = at[i] + 1;
        }
        int last = row.lastIndexOf(SEP);
        if (last <= at[4] || at[1] != at[0] + 2) {
            throw new SQLException("an identities row of " + organizationId + " is malformed");
        }
        char disabled = row.charAt(at[0] + 1);
        if (disabled != '0' && disabled != '1') {
            throw new SQLException("an identities row of " + organizationId + " is malformed");
        }
        try {
            return new Identity(organizationId, row.substring(0, at[0]), row.substring(at[4] + 1, last),
                    StringMapJson.decode(row.substring(last + 1)), disabled == '1',
                    Codec.instant(Long.parseLong(row, at[1] + 1, at[2], 10)),
                    Codec.instant(Long.parseLong(row, at[2] + 1, at[3], 10)), Long.parseLong(row, at[3] + 1, at[4], 10));
        } catch (NumberFormatException e) {
            throw new SQLException("an identities row of " + organizationId + " is malformed");
        }
    }

    /** A row of {@link #SECRET_COLUMNS}. */
    static SecretMetadata secretRow(String organizationId, String identityId, String row) throws SQLException {
        int[] at = new int[6];
        int from = 0;
        for (int i = 0; i < at.length; i++) {
            at[i] = row.indexOf(SEP, from);
            if (at[i] < 0) {
                throw new SQLException("a secrets row of " + organizationId + "/" + identityId + " is malformed");
            }
            from = at[i] + 1;
        }
        int last = row.lastIndexOf(SEP);
        if (last <= at[5]) {
            throw new SQLException("a secrets row of " + organizationId + "/" + identityId + " is malformed");
        }
        try {
            return new SecretMetadata(new SecretRef(organizationId, identityId, row.substring(0, at[0])),
                    row.substring(at[0] + 1, at[1]), Integer.parseInt(row, at[1] + 1, at[2], 10),
                    StringMapJson.decode(row.substring(at[5] + 1, last)), StringMapJson.decode(row.substring(last + 1)),
                    Codec.instant(Long.parseLong(row, at[2] + 1, at[3], 10)),
                    Codec.instant(Long.parseLong(row, at[3] + 1, at[4], 10)), Long.parseLong(row, at[4] + 1, at[5], 10));
        } catch (NumberFormatException e) {
            throw new SQLException("a secrets row of " + organizationId + "/" + identityId + " is malformed");
        }
    }

    private static <T> Page<T> page(List<T> rows, int limit, Function<T, String> key) {
        if (rows.size() <= limit) {
            return Page.last(rows);
        }
        List<T> items = new ArrayList<>(rows.subList(0, limit));
        return new Page<>(items, Optional.of(Codec.cursor(key.apply(items.get(limit - 1)))));
    }

    /** A row of {@link #listRecordsSql}, columns by index. */
    private static final ListRow<StoredRecord> RECORD = rs -> new StoredRecord(rs.getString(1), rs.getString(2),
            Codec.bytes(rs.getBytes(3)), rs.getLong(4), Codec.instant(rs.getLong(5)));
}
