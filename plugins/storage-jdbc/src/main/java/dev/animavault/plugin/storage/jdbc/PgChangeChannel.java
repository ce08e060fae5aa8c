package dev.animavault.plugin.storage.jdbc;

import static java.util.Objects.requireNonNull;

import dev.animavault.spi.storage.StorageChange;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL {@code LISTEN/NOTIFY} for change notification between vault nodes.
 *
 * <p>Senders: every write transaction that changes an identity, a secret or a record runs
 * {@code pg_notify('anima_vault_changes', payload)} ({@link #notify(Handle, StorageChange)}); PostgreSQL
 * delivers it when, and only if, the transaction commits. The payload holds names only (URL-encoded,
 * space-separated), never values.
 *
 * <p>Receiver: one dedicated connection straight from the driver (not from the pool, which could
 * recycle it) on one daemon thread, waiting for notifications 250 ms at a time and sending
 * {@code SELECT 1} every 5 s so a dead connection is noticed. When the connection fails, the thread
 * reconnects every 250 ms; subscribers get {@link StorageChange#any()} at once, then every
 * {@code fallback} while it is down, and once more after {@code LISTEN} succeeds again (anything
 * committed in between was missed).
 *
 * <p>Thread-safe; {@link #close()} stops the thread and closes the connection.
 */
final class PgChangeChannel implements AutoCloseable {

    static final String CHANNEL = "anima_vault_changes";
    private static final Logger LOG = Logger.getLogger(PgChangeChannel.class.getName());
    private static final long WAIT_MILLIS = 250;
    private static final long PING_MILLIS = 5000;

    private final String url;
    private final Properties properties;
    private final String redactedUrl;
    private final Duration fallback;
    private final List<Consumer<StorageChange>> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection connection;
    /** The server process of the listening connection, 0 while disconnected (test hook). */
    private volatile int backendPid;

    PgChangeChannel(String url, Properties properties, String redactedUrl, Duration fallback) {
        this.url = requireNonNull(url, "url is null");
        this.properties = requireNonNull(properties, "properties is null");
        this.redactedUrl = requireNonNull(redactedUrl, "redactedUrl is null");
        this.fallback = requireNonNull(fallback, "fallback is null");
        this.thread = Thread.ofPlatform().daemon().name("anima-vault-postgresql-listen").unstarted(this::run);
        this.thread.setContextClassLoader(PgChangeChannel.class.getClassLoader());
        this.thread.start();
    }

    /** Test hook: the server process id of the listening connection, 0 while disconnected. */
    int backendPid() {
        return backendPid;
    }

    Duration fallback() {
        return fallback;
    }

    AutoCloseable subscribe(Consumer<StorageChange> listener) {
        requireNonNull(listener, "listener is null");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Queues the notification of {@code change} in the transaction of {@code h}. */
    static void notify(Handle h, StorageChange change) {
        h.createQuery("SELECT pg_notify('" + CHANNEL + "', :payload)").bind("payload", encode(change))
                .mapTo(String.class).findOne();
    }

    static String encode(StorageChange c) {
        String kind = switch (c.kind()) {
            case IDENTITY -> "I";
            case SECRET -> "S";
            case RECORD -> "R";
            case ANY -> "A";
        };
        StringBuilder sb = new StringBuilder(kind);
        for (String part : new String[] {c.scope(), c.id(), c.key()}) {
            if (part != null) {
                sb.append(' ').append(URLEncoder.encode(part, StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    static StorageChange decode(String payload) {
        String[] p = payload.split(" ");
        String a = p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : null;
        String b = p.length > 2 ? URLDecoder.decode(p[2], StandardCharsets.UTF_8) : null;
        String c = p.length > 3 ? URLDecoder.decode(p[3], StandardCharsets.UTF_8) : null;
        return switch (p[0]) {
            case "I" -> new StorageChange(StorageChange.Kind.IDENTITY, a, b, null);
            case "S" -> new StorageChange(StorageChange.Kind.SECRET, a, b, c);
            case "R" -> new StorageChange(StorageChange.Kind.RECORD, a, b, null);
            default -> StorageChange.any();
        };
    }

    private void run() {
        boolean everConnected = false;
        long lastAny = 0;
        while (!closed) {
            try (Connection c = new org.postgresql.Driver().connect(url, properties)) {
                if (c == null) {
                    throw new SQLException("the driver does not accept " + redactedUrl);
                }
                connection = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                backendPid = c.unwrap(PGConnection.class).getBackendPID();
                if (everConnected) {
                    LOG.info(() -> "change notifications from " + redactedUrl + " flow again");
                }
                everConnected = true;
                deliver(StorageChange.any()); // whatever was committed before LISTEN is unknown to us
                PGConnection pg = c.unwrap(PGConnection.class);
                long lastPing = System.nanoTime();
                while (!closed) {
                    PGNotification[] ns = pg.getNotifications((int) WAIT_MILLIS);
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            deliver(decode(n.getParameter()));
                        }
                    }
                    if (System.nanoTime() - lastPing > PING_MILLIS * 1_000_000) {
                        try (Statement st = c.createStatement()) {
                            st.execute("SELECT 1");
                        }
                        lastPing = System.nanoTime();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                if (everConnected) {
                    LOG.warning(() -> "change notifications from " + redactedUrl + " interrupted (" + e.getMessage()
                            + "); caches of shared state are dropped every " + fallback.toMillis()
                            + " ms until they flow again");
                    everConnected = false;
                }
                connection = null;
                backendPid = 0;
            }
            // disconnected: tell subscribers that anything may have changed, at least every fallback
            long now = System.nanoTime();
            if (now - lastAny >= fallback.toNanos()) {
                deliver(StorageChange.any());
                lastAny = now;
            }
            try {
                Thread.sleep(WAIT_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void deliver(StorageChange change) {
        for (Consumer<StorageChange> l : listeners) {
            try {
                l.accept(change);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a change listener failed on " + change.kind(), e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
