package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.service.Names;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The documented limits on names, token keys and token ttl: each answers 400 problem+json. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsApiTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    static Path tmp;
    TestVault vault;

    @BeforeAll
    void start() {
        vault = TestVault.start(tmp, b -> b.maxTokenTtl(Duration.ofDays(30)));
        assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent\"}").status());
    }

    @AfterAll
    void stop() {
        vault.close();
    }

    private void refused(String path, Map<String, ?> body, String mentions) {
        Response r = vault.post(path, OWNER, TestVault.json(body));
        assertEquals(400, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        assertEquals("invalid_argument", r.code(), r.body());
        assertTrue(r.json().path("detail").asText().contains(mentions), r.body());
    }

    @Test
    void overlongNamesAreRefused() {
        refused("/v1/identities", Map.of("id", "long_name", "name", "n".repeat(900_000)), "identity name");
        refused("/v1/identities", Map.of("id", "long_name", "name", "n".repeat(Names.MAX_IDENTITY_NAME + 1)),
                "identity name");
        assertEquals(404, vault.get("/v1/identities/long_name", OWNER).status(), "nothing was created");
        assertEquals(201, vault.post("/v1/identities", OWNER, TestVault.json(Map.of("id", "max_name",
                "name", "n".repeat(Names.MAX_IDENTITY_NAME)))).status());

        refused("/v1/identities/agent/tokens", Map.of("name", "t".repeat(500_000)), "token name");
        refused("/v1/identities/agent/tokens", Map.of("name", "t".repeat(Names.MAX_TOKEN_NAME + 1)), "token name");
        assertEquals(201, vault.post("/v1/identities/agent/tokens", OWNER,
                TestVault.json(Map.of("name", "t".repeat(Names.MAX_TOKEN_NAME)))).status());
    }

    @Test
    void tokenKeysMustBeFewAndNotEmpty() {
        List<String> many = IntStream.range(0, 20_000).mapToObj(i -> "K" + i).toList();
        refused("/v1/identities/agent/tokens", Map.of("keys", many), "at most " + Names.MAX_TOKEN_KEYS);
        refused("/v1/identities/agent/tokens", Map.of("keys", many.subList(0, Names.MAX_TOKEN_KEYS + 1)),
                "at most " + Names.MAX_TOKEN_KEYS);
        // an empty list would silently mean "every key": refused, the caller leaves it out for that
        refused("/v1/identities/agent/tokens", Map.of("keys", List.of()), "at least one");
        assertEquals(201, vault.post("/v1/identities/agent/tokens", OWNER,
                TestVault.json(Map.of("keys", many.subList(0, Names.MAX_TOKEN_KEYS)))).status());
        assertEquals(201, vault.post("/v1/identities/agent/tokens", OWNER, "{}").status());
    }

    @Test
    void tokenTtlIsBoundedByConfiguration() {
        for (String ttl : new String[] {"100000000d", "999999999w", "31d", "P3650D"}) {
            refused("/v1/identities/agent/tokens", Map.of("ttl", ttl), "vault.auth.max-token-ttl");
        }
        for (String ttl : new String[] {"0s", "-PT1H"}) {
            refused("/v1/identities/agent/tokens", Map.of("ttl", ttl), "ttl");
        }
        Response ok = vault.post("/v1/identities/agent/tokens", OWNER, "{\"ttl\":\"30d\"}");
        assertEquals(201, ok.status(), ok.body());
        List<String> fields = new ArrayList<>();
        ok.json().fieldNames().forEachRemaining(fields::add);
        String expires = ok.json().path("expiresAt").asText();
        assertTrue(Instant.parse(expires).isBefore(Instant.now().plus(Duration.ofDays(31))), fields + " " + expires);
    }
}
