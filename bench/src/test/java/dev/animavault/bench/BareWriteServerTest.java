package dev.animavault.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write benchmark's baseline stores what it acknowledges, as the vault's schema and settings would. */
class BareWriteServerTest {
    @TempDir
    Path dir;
    private BareWriteServer.Running server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        server = BareWriteServer.start(0, dir.resolve("w.db").toString(), "bench_", 3);
    }

    @AfterEach
    void stop() {
        server.server().stop();
    }

    private int create(String identity, String key) throws Exception {
        String body = "{\"identityId\":\"" + identity + "\",\"key\":\"" + key + "\",\"value\":\"v\",\"type\":\"api_key\"}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server().port()
                + "/v1/vault/secrets")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 201) {
            assertTrue(r.body().contains("\"identityId\":\"" + identity + "\",\"key\":\"" + key + "\""), r.body());
        }
        return r.statusCode();
    }

    @Test
    void acknowledgedCreatesAreStoredAndRefusedOnesAreNot() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        assertEquals(201, create("bench_001", "A"));
        assertEquals(400, create("bench_001", "A"), "the primary key refuses a second create");
        assertEquals(400, create("nobody", "B"), "the identities foreign key refuses an unknown identity");
        List<Future<Integer>> calls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 64; i++) {
                String key = "K" + i;
                String identity = "bench_00" + (i % 3);
                calls.add(pool.submit(() -> {
                    go.await();
                    return create(identity, key);
                }));
            }
            go.countDown();
            for (Future<Integer> c : calls) {
                assertEquals(201, c.get());
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("w.db"));
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*), min(length(latest_value)), max(length(latest_value)),"
                    + " count(DISTINCT latest_value) FROM secrets")) {
                assertTrue(rs.next());
                assertEquals(65, rs.getInt(1), "every acknowledged create, and nothing else");
                assertEquals(106, rs.getInt(2));
                assertEquals(106, rs.getInt(3));
                assertEquals(65, rs.getInt(4), "a random value per row, as sealed values are");
            }
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                assertTrue(rs.next());
                assertEquals("wal", rs.getString(1));
            }
        }
        assertEquals("FULL", BareWriteServer.settings().getProperty("synchronous"));
        // 67 requests, each in a transaction; 64 of them sent at once must have shared commits (a group commit)
        assertTrue(server.commits() < 67, "commits: " + server.commits());
    }
}
