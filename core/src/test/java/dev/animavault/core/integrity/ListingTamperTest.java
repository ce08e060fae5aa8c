package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.animavault.core.TestVault;
import dev.animavault.core.TestVault.Response;
import dev.animavault.core.config.ProviderSpec;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's tamper evidence on the listings (issue 19 made them verify each row's MAC on a faster path):
 * a secret's or an identity's row edited directly in the SQLite database makes every page that holds it
 * refuse with {@code integrity_error} (audited), on the first page and behind a cursor, while pages without
 * it keep answering. Listings never carry a secret's value nor the {@code _mac} field.
 */
class ListingTamperTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    private static void assertRefused(Response r) {
        assertEquals(500, r.status(), r.body());
        assertEquals("integrity_error", r.code(), r.body());
        assertFalse(r.body().contains("value-"), "no value served: " + r.body());
    }

    private static Response ok(Response r) {
        assertEquals(200, r.status(), r.body());
        assertFalse(r.body().contains("value-"), "no value in a listing: " + r.body());
        assertFalse(r.body().contains(IntegrityStorage.FIELD), "no MAC in a listing: " + r.body());
        return r;
    }

    private static void update(Connection db, String sql) throws Exception {
        try (Statement s = db.createStatement()) {
            assertEquals(1, s.executeUpdate(sql), sql);
        }
    }

    @Test
    void pagesHoldingAnEditedRowAreRefused() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b
                .storage(new ProviderSpec("jdbc", Map.of("read-cache", "off")))
                .tokenCacheTtl(Duration.ofMillis(100)));
             Connection db = StorageTamperTest.db(tmp.resolve("data"))) {
            for (String id : new String[] {"agent_a", "agent_b", "agent_c"}) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"" + id + "\",\"metadata\":{\"team\":\""
                        + id + "\"}}").status());
            }
            for (String key : new String[] {"K1", "K2", "K3", "K4"}) {
                Response r = vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_a",
                        "key", key, "value", "value-" + key + "-1234", "type", "api_key",
                        "metadata", Map.of("env", "prod", "n", key))));
                assertEquals(201, r.status(), r.body());
            }
            Response whole = ok(vault.get("/v1/vault/secrets/agent_a", OWNER));
            assertEquals(4, whole.json().get("items").size());
            assertEquals("prod", whole.json().get("items").get(2).get("metadata").get("env").asText());
            ok(vault.get("/v1/identities", OWNER));

            // a label of K3 edited: the page holding it is refused, first page and behind a cursor
            update(db, "UPDATE secrets SET metadata = replace(metadata, 'prod', 'dev') WHERE secret_key = 'K3'");
            assertRefused(vault.get("/v1/vault/secrets/agent_a", OWNER));
            Response first = ok(vault.get("/v1/vault/secrets/agent_a?limit=2", OWNER));
            assertEquals(2, first.json().get("items").size());
            String cursor = first.json().get("nextCursor").asText();
            assertRefused(vault.get("/v1/vault/secrets/agent_a?limit=2&cursor=" + cursor, OWNER));
            update(db, "UPDATE secrets SET metadata = replace(metadata, 'dev', 'prod') WHERE secret_key = 'K3'");
            ok(vault.get("/v1/vault/secrets/agent_a", OWNER)); // the row as the vault wrote it checks out again

            // the type changed: another field the MAC binds
            update(db, "UPDATE secrets SET type = 'password' WHERE secret_key = 'K4'");
            assertRefused(vault.get("/v1/vault/secrets/agent_a?limit=100", OWNER));
            update(db, "UPDATE secrets SET type = 'api_key' WHERE secret_key = 'K4'");

            // the MAC attribute itself edited (one character of its base64)
            update(db, "UPDATE secrets SET attributes = replace(attributes, '\"v1.', '\"v1.9') WHERE secret_key = 'K1'");
            assertRefused(vault.get("/v1/vault/secrets/agent_a", OWNER));

            // an identity renamed: the identity page holding it is refused, the others still answer
            update(db, "UPDATE identities SET name = 'mallory' WHERE id = 'agent_b'");
            assertRefused(vault.get("/v1/identities", OWNER));
            Response idFirst = ok(vault.get("/v1/identities?limit=1", OWNER));
            assertEquals("agent_a", idFirst.json().get("items").get(0).get("id").asText());
            assertRefused(vault.get("/v1/identities?limit=1&cursor="
                    + idFirst.json().get("nextCursor").asText(), OWNER));
            update(db, "UPDATE identities SET name = 'agent_b' WHERE id = 'agent_b'");
            Response ids = ok(vault.get("/v1/identities", OWNER));
            assertEquals("agent_b", ids.json().get("items").get(1).get("id").asText());

            // an identity's label edited
            update(db, "UPDATE identities SET metadata = replace(metadata, 'agent_c', 'agent_x') WHERE id = 'agent_c'");
            assertRefused(vault.get("/v1/identities", OWNER));

            // audited, names only
            Path auditFile = tmp.resolve("data/audit/audit.jsonl");
            String[] expected = {"\"secretKey\":\"K3\"", "\"secretKey\":\"K4\"", "\"secretKey\":\"K1\"",
                    "\"identityId\":\"agent_b\"", "\"identityId\":\"agent_c\""};
            String audit = StorageTamperTest.awaitViolationsAudited(auditFile, expected);
            assertFalse(audit.contains("value-K"), "no value in the audit");
        }
    }

    /**
     * A page listed again skips the MAC of rows equal to ones that passed it ({@code VerifiedRows}): rows
     * listed many times and then edited in the database are checked again, refused when the edit touches a
     * field the MAC binds, and served as they are now (not as remembered) when it does not.
     */
    @Test
    void rowsListedBeforeAreCheckedAgainOnceEdited() throws Exception {
        try (TestVault vault = TestVault.start(tmp, b -> b
                .storage(new ProviderSpec("jdbc", Map.of("read-cache", "off")))
                .tokenCacheTtl(Duration.ofMillis(100)));
             Connection db = StorageTamperTest.db(tmp.resolve("data"))) {
            for (String id : new String[] {"agent_a", "agent_b"}) {
                assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"" + id + "\"}").status());
            }
            for (String key : new String[] {"K1", "K2", "K3"}) {
                assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_a",
                        "key", key, "value", "value-" + key + "-1234", "type", "api_key",
                        "metadata", Map.of("env", "prod")))).status());
            }
            String secrets = null;
            String identities = null;
            for (int i = 0; i < 3; i++) {
                String s = ok(vault.get("/v1/vault/secrets/agent_a", OWNER)).body();
                String d = ok(vault.get("/v1/identities", OWNER)).body();
                if (secrets != null) {
                    assertEquals(secrets, s, "a page listed again is the same page");
                    assertEquals(identities, d, "a page listed again is the same page");
                }
                secrets = s;
                identities = d;
            }

            // a timestamp the MAC does not bind moved: served as stored now, not as remembered
            update(db, "UPDATE secrets SET updated_at = updated_at + 1000000 WHERE secret_key = 'K2'");
            update(db, "UPDATE identities SET updated_at = updated_at + 1000000 WHERE id = 'agent_b'");
            Response moved = ok(vault.get("/v1/vault/secrets/agent_a", OWNER));
            assertNotEquals(secrets, moved.body());
            assertEquals(json(secrets).get("items").get(0), moved.json().get("items").get(0));
            assertNotEquals(json(secrets).get("items").get(1).get("updatedAt"),
                    moved.json().get("items").get(1).get("updatedAt"));
            Response movedIds = ok(vault.get("/v1/identities", OWNER));
            assertNotEquals(json(identities).get("items").get(1).get("updatedAt"),
                    movedIds.json().get("items").get(1).get("updatedAt"));

            // fields the MAC binds, edited in rows that passed many times: refused
            update(db, "UPDATE secrets SET type = 'password' WHERE secret_key = 'K2'");
            assertRefused(vault.get("/v1/vault/secrets/agent_a", OWNER));
            update(db, "UPDATE secrets SET type = 'api_key' WHERE secret_key = 'K2'");
            ok(vault.get("/v1/vault/secrets/agent_a", OWNER));
            update(db, "UPDATE secrets SET current_version = 2 WHERE secret_key = 'K3'");
            assertRefused(vault.get("/v1/vault/secrets/agent_a", OWNER));
            update(db, "UPDATE identities SET disabled = 1 - disabled WHERE id = 'agent_b'");
            assertRefused(vault.get("/v1/identities", OWNER));
            update(db, "UPDATE identities SET disabled = 1 - disabled WHERE id = 'agent_b'");
            ok(vault.get("/v1/identities", OWNER));
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String body) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
    }
}
