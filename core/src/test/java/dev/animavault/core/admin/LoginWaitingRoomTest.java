package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.AdminConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded waiting room of password verifications over real HTTP (issue 13): while the one permit is
 * taken and the room is full, {@code POST /v1/auth/login} is answered 503 {@code unavailable} with
 * {@code Retry-After} and an audit event, without joining the queue; once the permit is free the
 * same login reaches Argon2id again (401 for a wrong password).
 */
class LoginWaitingRoomTest {
    @TempDir
    static Path root;

    @Test
    void aLoginFindingTheWaitingRoomFullGets503WithRetryAfterAndIsAudited() throws Exception {
        // one permit, 10 s of queue wait, cheap Argon2id, no rest after a hash
        AdminConfig admin = AdminConfig.DEFAULTS.withArgon2(1024, 1, 1).withHashLimit(1, Duration.ofSeconds(10))
                .withHashCpuShare(1.0);
        try (TestVault vault = TestVault.start(root, b -> b.admin(admin))) {
            PasswordHasher hasher = vault.node().admins().hasher();
            hasher.assumeCycle(Duration.ofHours(1)); // one permit serves one waiter within the wait: room of 1
            assertEquals(1, hasher.waitingRoom());
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = PasswordHasherTest.holdPermit(hasher, release);
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    hasher.limited(() -> new byte[0]);
                } catch (RuntimeException expected) {
                    // refused after its 10 s wait if the permit is still held
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (hasher.waiting() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(hasher.saturated());

            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            vault.uri("/v1/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(TestVault.json(Map.of("organizationId", "default",
                            "username", "nobody", "password", "not the password at all"))))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("unavailable", TestVault.JSON.readTree(refused.body()).path("code").asText(), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent(), refused.headers().toString());

            release.countDown();
            holder.join(10_000);
            waiter.join(10_000);
            TestVault.Response wrong = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId",
                    "default", "username", "nobody", "password", "not the password at all")));
            assertEquals(401, wrong.status(), wrong.body());

            // refused at the door, DENIED (a login that joined the queue instead would end in a FAILURE after its
            // 10 s wait). No organization is known before the body is read, so the event is in the node's audit
            // log, not in an organization's query.
            Path log = vault.dataDir().resolve("audit/audit.jsonl");
            long unavailable = 0;
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            do {
                unavailable = Files.readAllLines(log).stream()
                        .filter(l -> l.contains("\"action\":\"admin.login\"") && l.contains("\"outcome\":\"DENIED\"")
                                && l.contains("\"errorCode\":\"unavailable\""))
                        .count();
                if (unavailable == 0) {
                    Thread.sleep(50);
                }
            } while (unavailable == 0 && System.nanoTime() < until);
            assertEquals(1, unavailable);
        }
    }
}
