package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.core.config.ProviderSpec;
import dev.animavault.core.config.VaultConfig;
import dev.animavault.plugin.storage.vaultwarden.VaultwardenServerIT.Res;
import dev.animavault.plugin.storage.vaultwarden.VaultwardenServerIT.Server;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unconditional {@code PUT}s racing on one secret through the whole server with the Vaultwarden backend
 * (the Bitwarden-compatible test server, answering as Vaultwarden does): 8 writers x 10 PUTs. None may
 * fail for contention, and every PUT becomes its own version.
 */
class VaultwardenConcurrentPutIT {
    private static final String OWNER = "it-owner-token-0123456789abcdefghijklmnopqrstuv";
    private static final int WRITERS = 8;
    private static final int PUTS = 10;

    @TempDir
    Path tmp;

    @Test
    @Timeout(240)
    void concurrentUnconditionalPutsToOneSecretAllSucceed() throws Exception {
        try (TestVault vw = new TestVault()) {
            VaultConfig config = VaultConfig.builder(tmp.resolve("data"),
                            VaultwardenServerIT.pluginsDir(tmp.resolve("plugins")))
                    .port(0)
                    .bootstrapToken(OWNER)
                    .storage(new ProviderSpec("vaultwarden", vw.config()))
                    .egressAllow(List.of("127.0.0.1"))
                    .build();
            try (Server s = Server.start(config)) {
                assertEquals(201, s.post("/v1/identities", OWNER, "{\"id\":\"agent\"}").status());
                assertEquals(201, s.post("/v1/vault/secrets", OWNER, VaultwardenServerIT.json(Map.of(
                        "identityId", "agent", "key", "SHARED", "value", "v-initial", "type", "api_key"))).status());

                Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
                try (ExecutorService pool = Executors.newFixedThreadPool(WRITERS)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int w = 0; w < WRITERS; w++) {
                        int writer = w;
                        done.add(pool.submit(() -> {
                            for (int i = 0; i < PUTS; i++) {
                                Res r = s.put("/v1/vault/secrets/agent/SHARED", OWNER,
                                        VaultwardenServerIT.json(Map.of("value", "v-" + writer + "-" + i)));
                                String key = r.status() + (r.status() == 200 ? ""
                                        : " " + r.json().path("code").asText());
                                answers.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                            }
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                }
                Map<String, Integer> counted = new TreeMap<>();
                answers.forEach((k, v) -> counted.put(k, v.get()));
                assertEquals(Map.of("200", WRITERS * PUTS), counted, "no PUT without a precondition fails for "
                        + "contention");
                Res read = s.get("/v1/vault/secrets/agent/SHARED", OWNER);
                assertEquals(200, read.status(), read.body());
                assertEquals(1 + WRITERS * PUTS, read.json().get("version").asInt(), "each PUT made one version");
            }
        }
    }
}
