package dev.animavault.core.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.barrier.Barrier;
import dev.animavault.core.barrier.RootKey;
import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.spi.VaultException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code anima-vault backup} during a write load, then {@code restore} into a new place: the restored
 * vault passes {@link StoreCheck} (every version of every secret opens, versions without gaps), holds
 * every write acknowledged before the backup started, is one instant across items (each writer's chain of
 * dependent writes is a prefix: no later write without the earlier ones; the file store's copy comes from
 * a snapshot its serving backend takes with writers paused), and the root key is in the backup only on
 * request.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BackupRestoreTest {

    private static final String OWNER = TestVault.OWNER_TOKEN;
    private static final int WRITERS = 3;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"jdbc", "file"})
    void backupDuringWritesRestoresToAConsistentStore(String storage) throws Exception {
        UnaryOperator<VaultConfig.Builder> cfg = b -> b.storage(new ProviderSpec(storage, Map.of()));
        Path dest = tmp.resolve("backup");
        Set<String> ackedBeforeBackup = ConcurrentHashMap.newKeySet();
        VaultConfig config;
        try (TestVault v = TestVault.start(tmp.resolve("live"), cfg)) {
            config = v.node().config();
            assertEquals(201, v.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean backupStarted = new AtomicBoolean();
            Thread[] writers = new Thread[WRITERS];
            for (int w = 0; w < writers.length; w++) {
                assertEquals(201, v.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "LAST_" + w, "value", "-1", "type", "api_key"))).status());
            }
            for (int w = 0; w < writers.length; w++) {
                int writer = w;
                // each round, one after the other: K_w_i v1, K_w_i v2, LAST_w = i. A backup of one instant
                // sees, with L = LAST_w: K_w_0..K_w_L at v2, perhaps K_w_(L+1), nothing after
                writers[w] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        String key = "K_" + writer + "_" + i;
                        Response r = v.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                                "key", key, "value", "value-" + key, "type", "api_key")));
                        if (r.status() != 201) {
                            throw new AssertionError(r.body());
                        }
                        if (!backupStarted.get()) { // acknowledged before the backup began
                            ackedBeforeBackup.add(key);
                        }
                        ok(v.put("/v1/vault/secrets/agent_1/" + key, OWNER, TestVault.json(Map.of("value", "v2-" + key))));
                        ok(v.put("/v1/vault/secrets/agent_1/LAST_" + writer, OWNER,
                                TestVault.json(Map.of("value", "" + i))));
                    }
                });
            }
            Thread.sleep(1500);
            backupStarted.set(true);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Set<String> sqliteLibraries = sqliteLibrariesMapped();
            // in the server's process: through the server's plugins (one SQLite library, whose locks hold)
            Backups.backup(config, v.node().plugins(), dest, false, new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(sqliteLibraries, sqliteLibrariesMapped(), "the backup loaded no second SQLite library");
            Thread.sleep(300);
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("root key NOT included"), out.toString());
            if (storage.equals("file")) {
                assertTrue(out.toString(StandardCharsets.UTF_8).contains("single-instant snapshot"), out.toString());
            }
            assertFalse(ackedBeforeBackup.isEmpty());
        }
        assertFalse(Files.exists(dest.resolve("root.key")), "no root key unless asked");
        if (storage.equals("file")) {
            // a stopped store (its .serving gone, or left by a crash naming a dead pid) is copied directly
            Path live = config.dataDir().resolve("store");
            assertFalse(Files.exists(live.resolve(".serving")), "removed when the backend closed");
            Process dead = new ProcessBuilder("true").start();
            dead.waitFor();
            Files.writeString(live.resolve(".serving"), dead.pid() + "@"
                    + java.net.InetAddress.getLocalHost().getHostName() + " since 2026-01-01T00:00:00Z");
            ByteArrayOutputStream quiet = new ByteArrayOutputStream();
            Backups.backup(config, tmp.resolve("backup-stopped"), false,
                    new PrintStream(quiet, true, StandardCharsets.UTF_8));
            assertTrue(quiet.toString(StandardCharsets.UTF_8).contains("store not served"), quiet.toString());
            try (java.util.stream.Stream<Path> left = Files.list(live)) {
                assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".snapshot-")),
                        "no snapshot request or directory left behind");
            }
        }
        assertTrue(Files.isDirectory(dest.resolve("audit")), "the audit trail is in the backup");

        // restore into a new place (the root key comes from the operator's own copy)
        Path restored = tmp.resolve("restored");
        Files.createDirectories(restored.resolve("data"));
        Files.copy(config.rootKeyFile(), restored.resolve("data/root.key"));
        Files.setPosixFilePermissions(restored.resolve("data/root.key"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        VaultConfig target = VaultConfig.builder(restored.resolve("data"), config.pluginsDir())
                .storage(new ProviderSpec(storage, Map.of())).build();
        Backups.restore(target, dest, new PrintStream(java.io.OutputStream.nullOutputStream()));
        assertThrows(VaultException.class, () -> Backups.restore(target, dest,
                new PrintStream(java.io.OutputStream.nullOutputStream())), "never restores over a store");

        try (TestVault r = TestVault.start(restored, cfg)) {
            Barrier barrier = Barrier.open(r.node().storage(), RootKey.loadOrCreate(target.rootKeyFile(), Map.of()),
                    Clock.systemUTC());
            StoreCheck.Result check = StoreCheck.check(r.node().storage(), barrier, List.of("sys", "orgs", "tokens"));
            assertTrue(check.secrets() >= ackedBeforeBackup.size(), check.toString());
            for (String key : ackedBeforeBackup) {
                Response read = r.get("/v1/vault/secrets/agent_1/" + key + "?version=1", OWNER);
                assertEquals(200, read.status(), key + ": " + read.body());
                assertEquals("value-" + key, read.json().get("value").asText());
            }
            // one instant across files: each writer's keys form a prefix ending at its LAST_w (+ one in flight)
            long rounds = 0;
            for (int w = 0; w < WRITERS; w++) {
                Response last = r.get("/v1/vault/secrets/agent_1/LAST_" + w, OWNER);
                assertEquals(200, last.status(), last.body());
                int l = Integer.parseInt(last.json().get("value").asText());
                for (int j = 0; j <= l; j++) {
                    String key = "K_" + w + "_" + j;
                    Response k = r.get("/v1/vault/secrets/agent_1/" + key, OWNER);
                    assertEquals(200, k.status(), key + " (LAST_" + w + " = " + l + "): " + k.body());
                    assertEquals("v2-" + key, k.json().get("value").asText(), key + " at v2 (LAST_" + w + " = " + l + ")");
                }
                assertEquals(404, r.get("/v1/vault/secrets/agent_1/K_" + w + "_" + (l + 2), OWNER).status(),
                        "nothing written after LAST_" + w + " = " + l + " and the round in flight");
                rounds += l + 1;
            }
            assertTrue(rounds > 0, "the writers wrote before the backup");
            System.out.printf("backup of %s during writes: %s, %d acknowledged before the backup, %d whole rounds%n",
                    storage, check, ackedBeforeBackup.size(), rounds);
        }
    }

    private static void ok(Response r) {
        if (r.status() / 100 != 2) {
            throw new AssertionError(r.status() + " " + r.body());
        }
    }

    /**
     * The SQLite native libraries mapped into this process (Linux; empty elsewhere). Each load of the
     * storage-jdbc plugin extracts and loads its own copy; two copies do not see each other's locks.
     */
    private static Set<String> sqliteLibrariesMapped() throws java.io.IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Set.of();
        }
        try (java.util.stream.Stream<String> lines = Files.lines(maps)) {
            return lines.filter(l -> l.contains("sqlitejdbc")).map(l -> l.substring(l.lastIndexOf(' ') + 1))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }
}
