package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.StringMapJson;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The listings of identities (of an organization), secrets (of an identity) and records (of a
 * namespace): keyset pages, each one query on the read pool asking for {@code limit + 1} rows (the
 * extra row tells whether a next page exists); the cursor is the last key of the page
 * ({@link Codec#cursor}). Thread-safe (stateless but for the shared {@link JdbcAccess}).
 */
final class Listing {

    private static final String SECRET_COLUMNS = "s.org_id, s.identity_id, s.secret_key, s.type, s.current_version, "
            + "s.metadata, s.attributes, s.created_at, s.updated_at, s.revision";

    /**
     * The listings: keyset pagination on the primary key's last column after an equality on the ones
     * before it, so both dialects answer a page from the primary key index (a range scan stopping after
     * {@code limit} rows, no sort), whatever the table's size; {@code ListingPlanTest} checks the plans.
     * Named parameters: the prefix's columns, {@code :after} (with a cursor) and {@code :limit}.
     */
    static String listIdentitiesSql(boolean after) {
        return "SELECT org_id, id, name, metadata, disabled, created_at, updated_at, revision FROM identities"
                + " WHERE org_id = :org" + (after ? " AND id > :after" : "") + " ORDER BY id LIMIT :limit";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listSecretsSql(boolean after) {
        return "SELECT " + SECRET_COLUMNS + " FROM secrets s WHERE s.org_id = :org AND s.identity_id = :identity"
                + (after ? " AND s.secret_key > :after" : "") + " ORDER BY s.secret_key LIMIT :limit";
    }

    /** See {@link #listIdentitiesSql}. */
    static String listRecordsSql(boolean after) {
        return "SELECT namespace, record_key, value, revision, updated_at FROM records WHERE namespace = :ns"
                + (after ? " AND record_key > :after" : "") + " ORDER BY record_key LIMIT :limit";
    }

    private final JdbcAccess db;

    Listing(JdbcAccess db) {
        this.db = requireNonNull(db, "db is null");
    }

    Page<Identity> listIdentities(String organizationId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return db.read("listIdentities", h -> page(h.createQuery(listIdentitiesSql(after.isPresent()))
                .bind("org", organizationId)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map(IDENTITY)
                .list(), page.limit(), Identity::id));
    }


    Page<SecretMetadata> listSecrets(String organizationId, String identityId, PageRequest page) {
        requireNonNull(organizationId, "organizationId is null");
        requireNonNull(identityId, "identityId is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return db.read("listSecrets", h -> page(h.createQuery(listSecretsSql(after.isPresent()))
                .bind("org", organizationId)
                .bind("identity", identityId)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map((rs, ctx) -> secretMetadata(rs))
                .list(), page.limit(), m -> m.ref().key()));
    }


    Page<StoredRecord> listRecords(String namespace, PageRequest page) {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(page, "page is null");
        Optional<String> after = Codec.afterKey(page.cursor());
        return db.read("listRecords", h -> page(h.createQuery(listRecordsSql(after.isPresent()))
                .bind("ns", namespace)
                .bind("after", after.orElse(null))
                .bind("limit", page.limit() + 1)
                .map(RECORD)
                .list(), page.limit(), StoredRecord::key));
    }


    private static <T> Page<T> page(List<T> rows, int limit, Function<T, String> key) {
        if (rows.size() <= limit) {
            return Page.last(rows);
        }
        List<T> items = new ArrayList<>(rows.subList(0, limit));
        return new Page<>(items, Optional.of(Codec.cursor(key.apply(items.get(limit - 1)))));
    }

    private static SecretMetadata secretMetadata(ResultSet rs) throws SQLException {
        SecretRef ref = new SecretRef(rs.getString("org_id"), rs.getString("identity_id"), rs.getString("secret_key"));
        return new SecretMetadata(ref, rs.getString("type"), rs.getInt("current_version"),
                StringMapJson.decode(rs.getString("metadata")), StringMapJson.decode(rs.getString("attributes")),
                Codec.instant(rs.getLong("created_at")), Codec.instant(rs.getLong("updated_at")),
                rs.getLong("revision"));
    }

    private static final RowMapper<Identity> IDENTITY = (rs, ctx) -> new Identity(rs.getString("org_id"),
            rs.getString("id"), rs.getString("name"), StringMapJson.decode(rs.getString("metadata")),
            rs.getBoolean("disabled"), Codec.instant(rs.getLong("created_at")), Codec.instant(rs.getLong("updated_at")),
            rs.getLong("revision"));

    private static final RowMapper<StoredRecord> RECORD = (rs, ctx) -> new StoredRecord(rs.getString("namespace"),
            rs.getString("record_key"), Codec.bytes(rs.getBytes("value")), rs.getLong("revision"),
            Codec.instant(rs.getLong("updated_at")));
}
