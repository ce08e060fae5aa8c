/**
 * The {@code jdbc} storage backend plugin: identities, secrets, versions and core's records in SQLite
 * (the embedded default, a file in the data directory) or PostgreSQL (several vault nodes on one
 * database).
 *
 * <p><b>Configuration</b> ({@link dev.animavault.plugin.storage.jdbc.JdbcSettings#PROPERTIES}):
 * {@code url} (empty: {@code jdbc:sqlite:<data dir>/anima-vault.db}), {@code username},
 * {@code password} (sensitive, never logged; a password inside the URL is masked in every message),
 * {@code max-pool-size}, {@code connection-timeout}, {@code busy-timeout} (SQLite),
 * {@code sqlite-synchronous} (SQLite, {@code FULL} by default), {@code read-cache} ({@code auto},
 * {@code on}, {@code off}) and {@code read-cache-size} (10000).
 *
 * <p><b>Durability.</b> A method returns after its transaction committed. SQLite runs in WAL mode;
 * with {@code synchronous=FULL} (the default) every commit fsyncs the WAL, so a write survives a
 * process kill and a power loss; {@code NORMAL} skips that fsync and still survives {@code kill -9}
 * (the WAL is in the OS page cache), but the last commits can be lost if the machine loses power. A
 * vault must never lose a rotated credential, hence FULL. PostgreSQL commits are durable with the
 * server's defaults ({@code fsync}, {@code synchronous_commit} on).
 *
 * <p><b>Concurrency.</b> SQLite: one writing connection, its transactions opened with
 * {@code BEGIN IMMEDIATE} (no read-to-write lock upgrade, so no {@code SQLITE_BUSY} deadlock) and
 * shared by concurrent writers through group commit
 * ({@link dev.animavault.plugin.storage.jdbc.SqliteGroupCommit}: the writes waiting while one
 * transaction commits run together in the next, each under its own savepoint, and are acknowledged
 * after that one commit, so 32 writers pay one fsync instead of 32; virtual callers' batches run on
 * a platform committer thread, which takes the next batch as soon as a commit returns, since native
 * SQLite code would pin a virtual thread's carrier through the fsync); a pool
 * of reading connections that WAL lets proceed while a write is in progress; {@code busy_timeout}
 * covers other processes on the same file. PostgreSQL: one pool; conditional writes are
 * {@code UPDATE ... WHERE revision = ?} with the row count deciding, so two writers never both
 * succeed; unique violations ({@code 23505}) become {@code ALREADY_EXISTS}; deadlocks and
 * serialization failures are retried; connection failures become {@code STORAGE_UNAVAILABLE} naming
 * the URL (password masked). JDBC drivers are loaded by class name through HikariCP
 * ({@code driverClassName}) with the plugin's class loader as context class loader, so no
 * {@code DriverManager}/{@code ServiceLoader} lookup across PF4J class loaders is needed.
 *
 * <p><b>Schema migrations</b> are hand-written: numbered scripts {@code db/migration/<dialect>/V<n>__<name>.sql}
 * applied in order by {@link dev.animavault.plugin.storage.jdbc.SchemaMigrator} at every start and
 * recorded with a checksum in {@code schema_version}; PostgreSQL migrations run under
 * {@code pg_advisory_lock}, SQLite ones in one {@code BEGIN IMMEDIATE} transaction. Flyway would bring a
 * large dependency (and its own class-loading and licensing concerns) for two dialects and a handful
 * of scripts; the runner is about a hundred lines.
 *
 * <p><b>Layout.</b> Secret values and record values are stored as given (ciphertext from core's
 * barrier) in BLOB/bytea columns. Label maps are JSON text. Timestamps are microseconds since the
 * epoch. Listings use keyset pagination on the item's key, ascending in code point order (SQLite's
 * BINARY collation, PostgreSQL's {@code COLLATE "C"}); the cursor is the base64url of the last key.
 * {@code readSecret}, the hot path, is one query joining a secret's metadata and the requested version.
 *
 * <p><b>Per-request reads</b> ({@code readSecret}, {@code getSecretMetadata}, {@code getIdentity},
 * {@code getRecord}) bypass Jdbi: plain JDBC through {@link dev.animavault.plugin.storage.jdbc.ReadSessions}.
 * SQLite: up to {@code max-pool-size} dedicated reading connections, each keeping its prepared statements
 * (sqlite-jdbc has no statement cache, and compiling the join cost more than running it), handed out
 * LIFO to one caller at a time and discarded when a call fails. PostgreSQL: a pooled connection per
 * call, with the driver's statement cache and server-side prepared statements from the first use
 * ({@code prepareThreshold=1} unless the URL says otherwise). Rows are mapped by column index and the
 * caller's key objects are reused. Listings and writes stay on Jdbi.
 *
 * <p><b>Read cache</b> ({@link dev.animavault.plugin.storage.jdbc.SecretReadCache}): {@code readSecret}
 * results (metadata and sealed ciphertext as stored, never plaintext; found rows only) are kept in
 * memory, bounded by {@code read-cache-size} reads, written through and strictly coherent with this
 * process's writes: a write that has returned is seen by every later read (write epoch plus per-key
 * atomic insert, argued in the class comment). That holds only while this process is the database's
 * only writer, so {@code read-cache: auto} (the default) enables it for SQLite only, {@code on} is
 * refused for PostgreSQL (several nodes share it), and with the cache on the backend holds an exclusive
 * OS lock on {@code <database>.lock} ({@link dev.animavault.plugin.storage.jdbc.SqliteLockFile}, the SPI's
 * {@link dev.animavault.spi.storage.ExclusiveLockFile}): a
 * second Anima Vault process on the same file fails at startup naming the lock file. A hit costs a hash
 * lookup instead of a SQLite query (about 11 us of CPU in sqlite-jdbc).
 *
 * <p><b>Several nodes on PostgreSQL</b> (docs/cluster.md): the pool is a
 * {@link dev.animavault.plugin.storage.jdbc.PostgresPool}, an outage breaker over HikariCP (fail fast
 * with {@code STORAGE_UNAVAILABLE} while a direct probe gets no answer, a fresh pool when it does), and
 * the backend implements {@link dev.animavault.spi.storage.ChangeNotifying} through
 * {@link dev.animavault.plugin.storage.jdbc.PgChangeChannel}: {@code pg_notify} inside each write
 * transaction, one reconnecting {@code LISTEN} connection per backend.
 */
package dev.animavault.plugin.storage.jdbc;
