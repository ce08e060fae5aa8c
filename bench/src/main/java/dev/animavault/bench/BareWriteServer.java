package dev.animavault.bench;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The baseline of the write benchmark (issue 19): what Helidon SE and SQLite with {@code synchronous=FULL} give
 * on this machine with a group commit and nothing else. It answers the vault's create route
 * ({@code POST /v1/vault/secrets}) by inserting a row shaped like the vault's {@code secrets} row (the same
 * {@code WITHOUT ROWID} table and primary key, the identities' foreign key, values of the same sizes: a
 * 106-byte random "sealed" value, an 80-character attributes text) through one committer thread that takes
 * every queued insert into one {@code BEGIN IMMEDIATE} transaction and acknowledges each only after its
 * {@code COMMIT} (one WAL {@code fsync}) returned, with the vault's connection settings (WAL, {@code
 * synchronous=FULL}, foreign keys, secure delete, the writer's 8 MiB cache and 5,000-page auto-checkpoint: keep
 * them in step with storage-jdbc's {@code JdbcStorageBackendFactory}, which this module cannot call, as the
 * plugin's classes reach the vault only through its zip).
 * The answer is a 201 with a JSON body of the vault's size.
 *
 * <p>Left out on purpose, so that it is a floor for the vault's costs and not a copy of them: authentication,
 * encryption, integrity MACs, audit, per-operation savepoints, JSON parsing (the identity and key are cut out of
 * the body by position) and every check. Not a server for anything but {@code bench/http-bench.sh}.
 *
 * <p>Usage: {@code BareWriteServer <port> <database-file> <identity-prefix> <identities>}; binds 127.0.0.1
 * only; creates the identities {@code <prefix>000}, {@code <prefix>001}, ... the write script spreads its keys
 * over.
 */
public final class BareWriteServer {

    private static final String ORG = "default";
    private static final String ATTRIBUTES = "{\"_mac\":\"v1.1.0." + "x".repeat(43) + "\",\"hint\":\"sk-b...cdef\"}";
    private static final String CREATED_BY = "apikey:h" + "0".repeat(15);

    private final Connection connection;
    private final PreparedStatement insert;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    /** Transactions committed (written by the committer only): fewer than the inserts when batches form. */
    private volatile long commits;

    /** A started bare writer: its HTTP server, and its transactions committed so far. */
    record Running(WebServer server, BareWriteServer writer) {
        long commits() {
            return writer.commits;
        }
    }

    /** One queued insert and its caller. */
    private static final class Op {
        final String identity;
        final String key;
        final Thread waiter = Thread.currentThread();
        volatile boolean done;
        volatile boolean failed;

        Op(String identity, String key) {
            this.identity = identity;
            this.key = key;
        }
    }

    /** The writing connection's settings: the vault writer's (see the class comment). */
    static Properties settings() {
        Properties p = new Properties();
        p.setProperty("journal_mode", "WAL");
        p.setProperty("synchronous", "FULL");
        p.setProperty("foreign_keys", "true");
        p.setProperty("secure_delete", "true");
        p.setProperty("jdbc.get_generated_keys", "false");
        p.setProperty("cache_size", "-8192");
        p.setProperty("wal_autocheckpoint", "5000");
        return p;
    }

    private BareWriteServer(String file, String prefix, int identities) throws SQLException {
        connection = DriverManager.getConnection("jdbc:sqlite:" + file, settings());
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("CREATE TABLE IF NOT EXISTS identities (org_id TEXT NOT NULL, id TEXT NOT NULL,"
                    + " name TEXT NOT NULL, PRIMARY KEY (org_id, id)) WITHOUT ROWID");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS secrets (org_id TEXT NOT NULL, identity_id TEXT NOT NULL,"
                    + " secret_key TEXT NOT NULL, type TEXT NOT NULL, current_version INTEGER NOT NULL,"
                    + " metadata TEXT NOT NULL, attributes TEXT NOT NULL, created_at INTEGER NOT NULL,"
                    + " updated_at INTEGER NOT NULL, revision INTEGER NOT NULL, latest_version INTEGER NOT NULL,"
                    + " latest_value BLOB NOT NULL, latest_created_at INTEGER NOT NULL,"
                    + " latest_created_by TEXT NOT NULL, PRIMARY KEY (org_id, identity_id, secret_key),"
                    + " FOREIGN KEY (org_id, identity_id) REFERENCES identities (org_id, id) ON DELETE CASCADE)"
                    + " WITHOUT ROWID");
            for (int i = 0; i < identities; i++) {
                s.executeUpdate(String.format("INSERT OR IGNORE INTO identities VALUES ('%s', '%s%03d', 'bench')",
                        ORG, prefix, i));
            }
        }
        insert = connection.prepareStatement("INSERT INTO secrets VALUES (?, ?, ?, 'api_key', 1, '{}', ?, ?, ?, 1, 1,"
                + " ?, ?, ?)");
    }

    /**
     * Starts the server, which runs until the JVM is stopped (each batch's {@code BEGIN IMMEDIATE} ... {@code COMMIT}
     * is explicit, so the connection stays in auto-commit mode between them).
     *
     * @param args port, database file, identity prefix, number of identities
     * @throws SQLException when the database cannot be opened
     */
    public static void main(String[] args) throws SQLException {
        if (args.length != 4) {
            System.err.println("usage: BareWriteServer <port> <database-file> <identity-prefix> <identities>");
            System.exit(2);
        }
        LogConfig.configureRuntime();
        Running running = start(Integer.parseInt(args[0]), args[1], args[2], Integer.parseInt(args[3]));
        System.out.println("bare write server listening on http://127.0.0.1:" + running.server().port());
    }

    /**
     * Opens (or creates) the database, starts the committer and the server on {@code port} (0: any free one).
     *
     * @throws SQLException when the database cannot be opened
     */
    static Running start(int port, String file, String prefix, int identities) throws SQLException {
        BareWriteServer writer = new BareWriteServer(file, prefix, identities);
        Thread.ofPlatform().name("bare-committer").daemon(true).start(writer::commitLoop);
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(port)
                .routing(routing -> routing
                        .get("/v1/sys/health", (req, res) -> res.send("{\"status\":\"ok\"}"))
                        .post("/v1/vault/secrets", (req, res) -> {
                            String body = req.content().as(String.class);
                            String identity = field(body, "\"identityId\":\"");
                            String key = field(body, "\"key\":\"");
                            if (identity == null || key == null || !writer.insert(identity, key)) {
                                res.status(Status.BAD_REQUEST_400).send();
                                return;
                            }
                            String now = Instant.now().toString();
                            res.status(Status.CREATED_201);
                            res.headers().contentType(MediaTypes.APPLICATION_JSON);
                            res.headers().set(HeaderNames.CACHE_CONTROL, "no-store");
                            res.headers().set(HeaderNames.create("X-Request-Id"),
                                    HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
                            res.send(("{\"organizationId\":\"" + ORG + "\",\"identityId\":\"" + identity + "\",\"key\":\""
                                    + key + "\",\"type\":\"api_key\",\"version\":1,\"hint\":\"sk-b...cdef\","
                                    + "\"metadata\":{},\"createdAt\":\"" + now + "\",\"updatedAt\":\"" + now + "\"}")
                                    .getBytes(StandardCharsets.UTF_8));
                        }))
                .build()
                .start();
        return new Running(server, writer);
    }

    /** The JSON string value after {@code start} in {@code body} (no escapes expected), or null. */
    private static String field(String body, String start) {
        int from = body.indexOf(start);
        if (from < 0) {
            return null;
        }
        from += start.length();
        int to = body.indexOf('"', from);
        return to < 0 ? null : body.substring(from, to);
    }

    /** Queues the insert and waits until the commit that holds it returned; false when it failed. */
    private boolean insert(String identity, String key) {
        Op op = new Op(identity, key);
        lock.lock();
        try {
            queue.add(op);
            work.signal();
        } finally {
            lock.unlock();
        }
        while (!op.done) {
            LockSupport.park(this);
        }
        return !op.failed;
    }

    private void commitLoop() {
        Op[] batch = new Op[256];
        while (true) {
            int n = 0;
            lock.lock();
            try {
                while (queue.isEmpty()) {
                    work.awaitUninterruptibly();
                }
                while (n < batch.length && !queue.isEmpty()) {
                    batch[n++] = queue.poll();
                }
            } finally {
                lock.unlock();
            }
            commit(batch, n);
            for (int i = 0; i < n; i++) {
                batch[i].done = true;
                LockSupport.unpark(batch[i].waiter);
                batch[i] = null;
            }
        }
    }

    /** One transaction for the batch; a failed insert fails its own caller, a failed commit every one. */
    private void commit(Op[] batch, int n) {
        byte[] value = new byte[106];
        try (Statement s = connection.createStatement()) {
            s.executeUpdate("BEGIN IMMEDIATE");
            long now = System.currentTimeMillis() * 1000;
            for (int i = 0; i < n; i++) {
                ThreadLocalRandom.current().nextBytes(value);
                try {
                    insert.setString(1, ORG);
                    insert.setString(2, batch[i].identity);
                    insert.setString(3, batch[i].key);
                    insert.setString(4, ATTRIBUTES);
                    insert.setLong(5, now);
                    insert.setLong(6, now);
                    insert.setBytes(7, value);
                    insert.setLong(8, now);
                    insert.setString(9, CREATED_BY);
                    insert.executeUpdate();
                } catch (SQLException e) {
                    batch[i].failed = true; // a constraint aborts its statement only, not the transaction
                }
            }
            s.executeUpdate("COMMIT");
            commits++; // the committer is the only writer
        } catch (SQLException e) {
            for (int i = 0; i < n; i++) {
                batch[i].failed = true;
            }
            try (Statement s = connection.createStatement()) {
                s.executeUpdate("ROLLBACK");
            } catch (SQLException ignored) {
                // no transaction left to roll back
            }
        }
    }
}
