package dev.animavault.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.TestVault;
import dev.animavault.core.config.AdminConfig;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.util.encoders.Base32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Ended sessions and expired login challenges leave storage, on an injected clock, a bounded amount per sweep. */
@Timeout(120)
class AdminSweeperTest {
    private static final String PASSWORD = "a long enough passphrase";

    @TempDir
    Path root;

    @Test
    void expiredChallengesAndEndedSessionsAreDeletedAndLiveOnesKept() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:10Z"));
        try (TestVault vault = TestVault.start(root, clock, b -> b.admin(AdminConfig.DEFAULTS.withArgon2(1024, 1, 1)))) {
            StorageBackend storage = vault.node().storage();
            AdminSweeper sweeper = vault.node().admins().sweeper();
            create(vault, "sam");
            create(vault, "carl");
            String session = enroll(vault, clock, "sam");
            login(vault, "carl"); // a challenge nobody completes
            assertEquals(1, count(storage, AdminSessions.SESSIONS));
            assertEquals(1, count(storage, AdminSessions.CHALLENGES));
            assertEquals(new AdminSweeper.Result(0, 0), sweeper.sweep(), "nothing has ended yet");

            clock.advance(Duration.ofMinutes(5).plusSeconds(1)); // past challenge-ttl, within the idle timeout
            assertEquals(200, vault.get("/v1/auth/sessions", session).status());
            assertEquals(new AdminSweeper.Result(0, 1), sweeper.sweep());
            assertEquals(0, count(storage, AdminSessions.CHALLENGES));
            assertEquals(1, count(storage, AdminSessions.SESSIONS));

            clock.advance(Duration.ofMinutes(15).plusSeconds(1)); // idle too long
            assertEquals(new AdminSweeper.Result(1, 0), sweeper.sweep());
            assertEquals(0, count(storage, AdminSessions.SESSIONS));
            assertEquals(401, vault.get("/v1/auth/sessions", session).status());
        }
    }

    @Test
    void aPageStopsAtItsDeletionBudgetAndTheBackgroundThreadSweeps() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:10Z"));
        try (TestVault vault = TestVault.start(root, clock, b -> b.admin(AdminConfig.DEFAULTS.withArgon2(1024, 1, 1)))) {
            StorageBackend storage = vault.node().storage();
            AdminSessions sessions = vault.node().admins().sessions();
            create(vault, "many");
            for (int i = 0; i < 5; i++) {
                login(vault, "many");
            }
            assertEquals(5, count(storage, AdminSessions.CHALLENGES));
            Instant later = clock.instant().plus(Duration.ofMinutes(6));
            AdminSessions.SweepPage p = sessions.sweepPage(AdminSessions.CHALLENGES, Optional.empty(), 200, 2, later);
            assertEquals(2, p.deleted());
            assertEquals(Optional.empty(), p.next(), "out of budget within the first page: that page again");
            assertEquals(3, count(storage, AdminSessions.CHALLENGES));

            clock.advance(Duration.ofMinutes(6));
            try (AdminSweeper periodic = new AdminSweeper(sessions, clock, Duration.ofMillis(20))) {
                periodic.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (count(storage, AdminSessions.CHALLENGES) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            assertEquals(0, count(storage, AdminSessions.CHALLENGES));
        }
    }

    private static int count(StorageBackend storage, String ns) {
        return storage.listRecords(ns, new PageRequest(500, Optional.empty())).items().size();
    }

    private static void create(TestVault vault, String username) {
        assertEquals(201, vault.post("/v1/admins", TestVault.OWNER_TOKEN, TestVault.json(Map.of("username", username,
                "password", PASSWORD, "role", "admin"))).status());
    }

    private static JsonNode login(TestVault vault, String username) {
        TestVault.Response r = vault.post("/v1/auth/login", null, TestVault.json(Map.of("organizationId", "default",
                "username", username, "password", PASSWORD)));
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static String enroll(TestVault vault, MutableClock clock, String username) {
        JsonNode first = login(vault, username);
        byte[] secret = Base32.decode(first.path("totpSecret").asText());
        TestVault.Response r = vault.post("/v1/auth/mfa", null, TestVault.json(Map.of("challenge",
                first.path("challenge").asText(), "code", Totp.code(secret, Totp.step(clock.instant()), 6))));
        assertEquals(200, r.status(), r.body());
        String session = r.json().path("session").asText();
        assertTrue(session.startsWith("avs_"));
        return session;
    }
}
