package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged server against what a hostile local client sends at the connection level: broken chunked
 * framing, requests smuggled behind an oversized body, HEAD, long request lines, other HTTP versions, bare
 * LF line ends, and a connection flood past {@code server.max-connections} while the process may open
 * only a few hundred files. Raw sockets on loopback; bounded in time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HttpRobustnessIT {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");
    private static final int MAX_CONNECTIONS = 200;
    /** Low enough that 600 connections exhaust it: below it, the limit must keep accept() from failing. */
    private static final int OPEN_FILES = 512;
    private static final int FLOOD = 600;

    @TempDir
    static Path work;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Path home;
    private VaultProcess vault;
    private int port;
    private String owner;

    @BeforeAll
    void startServer() throws Exception {
        home = Distribution.unpack(work);
        port = VaultProcess.freePort();
        byte[] key = new byte[24];
        new SecureRandom().nextBytes(key);
        owner = "avk_" + HexFormat.of().formatHex(key);
        Map<String, String> env = env(port);
        env.put("ANIMA_VAULT_BOOTSTRAP_TOKEN", owner);
        env.put("ANIMA_VAULT_HTTP_MAX_CONNECTIONS", Integer.toString(MAX_CONNECTIONS));
        vault = VaultProcess.startWithOpenFilesLimit(home, work, port, env, OPEN_FILES, "server");
        vault.awaitHealthy(http, Duration.ofSeconds(60));
    }

    @AfterAll
    void stopServer() throws InterruptedException {
        if (vault != null) {
            vault.close();
        }
    }

    private Map<String, String> env(int listenPort) {
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("ANIMA_VAULT_HTTP_HOST", "127.0.0.1");
        env.put("ANIMA_VAULT_HTTP_PORT", Integer.toString(listenPort));
        env.put("ANIMA_VAULT_DATA_DIR", work.resolve("data-" + listenPort).toString());
        return env;
    }

    private String post(String headers, String body) {
        return "POST /v1/identities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + owner + "\r\n"
                + "Content-Type: application/json\r\n" + headers + "\r\n" + body;
    }

    private String createIdentity(String id) {
        String json = "{\"id\":\"" + id + "\",\"name\":\"x\"}";
        return post("Content-Length: " + json.length() + "\r\n", json);
    }

    private int identityStatus(String id) {
        Exchange ex = send("GET /v1/identities/" + id + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + owner
                + "\r\nConnection: close\r\n\r\n", 5000);
        return ex.statuses().getFirst();
    }

    @Test
    @Order(1)
    void smuggledRequestsNeverRun() {
        // a chunk declared over the 1 MiB limit whose first bytes are a complete request
        Exchange declared = send(post("Transfer-Encoding: chunked\r\n", "") + Integer.toHexString(2 << 20) + "\r\n"
                + createIdentity("smuggled_a"), 3000);
        assertEquals(List.of(413), declared.statuses(), declared.text());
        assertTrue(declared.closedByServer(), "the connection must end after a 413");
        // chunks that add up past the limit, then a request
        StringBuilder chunks = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            chunks.append("40000\r\n").append("a".repeat(0x40000)).append("\r\n");
        }
        Exchange summed = send(post("Transfer-Encoding: chunked\r\n", "") + chunks + "0\r\n\r\n"
                + createIdentity("smuggled_b"), 3000);
        assertEquals(List.of(413), summed.statuses(), summed.text());
        // a malformed chunk size followed by a request
        Exchange malformed = send(post("Transfer-Encoding: chunked\r\n", "zz\r\nab\r\n0\r\n\r\n")
                + createIdentity("smuggled_c"), 3000);
        assertEquals(List.of(400), malformed.statuses(), malformed.text());
        for (String id : List.of("smuggled_a", "smuggled_b", "smuggled_c")) {
            assertEquals(404, identityStatus(id), id + " was created by a smuggled request");
        }
    }

    @Test
    @Order(2)
    void malformedFramingIs400ProblemJson() {
        for (String framing : List.of("zz", "-1", "FFFFFFFFFFFFFFFFF")) {
            Exchange ex = send(post("Transfer-Encoding: chunked\r\n", framing + "\r\nab\r\n0\r\n\r\n"), 3000);
            assertEquals(List.of(400), ex.statuses(), framing + ": " + ex.text());
            assertTrue(ex.text().contains("application/problem+json"), framing + ": " + ex.text());
        }
        Exchange shortChunk = send(post("Transfer-Encoding: chunked\r\n", "5\r\nab\r\n0\r\n\r\n"), 3000);
        assertEquals(List.of(400), shortChunk.statuses(), shortChunk.text());
        Exchange method = send(new String("G\u00c9T /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1), 3000);
        assertEquals(List.of(400), method.statuses(), method.text());
        // peers gone mid-headers and mid-body
        for (String partial : List.of("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-A: b",
                post("Content-Length: 100\r\n", "{\"id\""), post("Transfer-Encoding: chunked\r\n", "10\r\n{\"id"))) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write(partial.getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    @Order(3)
    void headLongLinesOtherVersionsAndBareLineFeeds() {
        String health = "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n";
        Exchange head = send("HEAD /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n" + health, 1500);
        assertEquals(List.of(200, 200), head.statuses(), head.text());
        assertTrue(head.text().substring(head.text().indexOf("\r\n\r\n") + 4).startsWith("HTTP/1.1 200 "),
                "HEAD carried a body: " + head.text());
        Exchange longLine = send("GET /v1/sys/health?q=" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 3000);
        assertEquals(List.of(414), longLine.statuses(), longLine.text());
        Exchange http10 = send("GET /v1/sys/health HTTP/1.0\r\n\r\n", 3000);
        assertEquals(List.of(505), http10.statuses(), http10.text());
        Exchange bareLf = send("GET /v1/sys/health HTTP/1.1\nHost: x\n\n", 3000);
        assertEquals(List.of(400), bareLf.statuses(), bareLf.text());
    }

    @Test
    @Order(4)
    void aFloodPastTheLimitLeavesTheServerServing() throws Exception {
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < FLOOD; i++) {
                flood.add(new Socket(InetAddress.getLoopbackAddress(), port));
            }
            Thread.sleep(1000);
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            Exchange ex = send("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
            if (ex.statuses().equals(List.of(200))) {
                assertTrue(vault.process().isAlive());
                return;
            }
            last = ex.text();
            Thread.sleep(200);
        }
        throw new AssertionError("not served after the flood ended (last: " + last + "); output:\n" + vault.output());
    }

    @Test
    @Order(5)
    void nothingAboveLoggedNoStackTraces() {
        String output = vault.output();
        assertFalse(output.contains("\tat "), "a stack trace was logged:\n" + output);
        assertFalse(output.contains(" SEVERE ") || output.contains(" WARNING "), "warnings were logged:\n" + output);
    }

    @Test
    @Order(6)
    void aPortInUseExitsNonZeroAtOnce() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            VaultProcess second = VaultProcess.start(home, work, taken.getLocalPort(), env(taken.getLocalPort()),
                    "server");
            try {
                assertTrue(second.process().waitFor(60, TimeUnit.SECONDS),
                        "still running on a port in use; output:\n" + second.output());
                assertNotEquals(0, second.process().exitValue(), second.output());
                assertTrue(second.output().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                        second.output());
            } finally {
                second.close();
            }
        }
    }

    @Test
    @Order(7)
    void aListenerKilledByDescriptorExhaustionExitsTheProcess() throws Exception {
        // so few files that even the lowest connection limit (16) cannot keep accept() from failing
        int listenPort = VaultProcess.freePort();
        Map<String, String> env = env(listenPort);
        VaultProcess starved = VaultProcess.startWithOpenFilesLimit(home, work, listenPort, env, 104, "server");
        try {
            try {
                starved.awaitHealthy(http, Duration.ofSeconds(60));
            } catch (AssertionError e) {
                org.junit.jupiter.api.Assumptions.assumeTrue(false, "the JVM needs more than 104 files here");
            }
            // floods of 60 connections held for a second, until the process exits: on a busy machine the server
            // may close one flood's connections as fast as they come and never run out of descriptors
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            boolean exited = false;
            while (!exited && System.nanoTime() < deadline) {
                List<Socket> flood = new ArrayList<>();
                try {
                    for (int i = 0; i < 60; i++) {
                        flood.add(new Socket(InetAddress.getLoopbackAddress(), listenPort));
                    }
                    Thread.sleep(1000);
                } catch (IOException refused) {
                    // the listener may already be gone
                } finally {
                    for (Socket s : flood) {
                        s.close();
                    }
                }
                exited = starved.process().waitFor(3, TimeUnit.SECONDS);
            }
            assertTrue(exited || starved.process().waitFor(15, TimeUnit.SECONDS),
                    "the process lives on without a listener; output:\n" + starved.output());
            assertEquals(70, starved.process().exitValue(), starved.output());
        } finally {
            starved.close();
        }
    }

    // ---------------------------------------------------------------------------------------------

    private record Exchange(String text, boolean closedByServer) {
        List<Integer> statuses() {
            List<Integer> out = new ArrayList<>();
            Matcher m = STATUS_LINE.matcher(text);
            while (m.find()) {
                out.add(Integer.parseInt(m.group(1)));
            }
            return out;
        }
    }

    /** Writes the request, then reads until the server closes or {@code quietMillis} pass without data. */
    private Exchange send(String request, int quietMillis) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(quietMillis);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            } catch (SocketException e) {
                // closed before everything was written: the answer is still readable
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    return new Exchange(out.toString(StandardCharsets.ISO_8859_1), false);
                } catch (SocketException e) {
                    return new Exchange(out.toString(StandardCharsets.ISO_8859_1), true);
                }
                if (n < 0) {
                    return new Exchange(out.toString(StandardCharsets.ISO_8859_1), true);
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
