package dev.animavault.plugin.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.spi.PageRequest;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageBackend;
import dev.animavault.spi.testkit.StorageFixtures;
import dev.animavault.spi.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memo of decoded listing rows: a hit only for the same text under the same scope, and through the
 * backend, pages listed again give the same objects until a row changes, then the changed row as stored.
 */
class DecodedRowsTest {
    @TempDir
    Path dataDir;

    @Test
    void hitsOnlyTheSameTextInTheSameScope() {
        DecodedRows<String> memo = new DecodedRows<>(8);
        memo.put("org\u001fagent_a", "row text", "decoded a");
        assertNull(memo.get("org\u001fagent_a", "row text"), "decoded once: only noted (the doorkeeper)");
        memo.put("org\u001fagent_a", "row text", "decoded a");
        assertEquals("decoded a", memo.get("org\u001fagent_a", new String("row text")));
        assertNull(memo.get("org\u001fagent_b", "row text"), "another identity's page");
        assertNull(memo.get("org\u001fagent_a", "row text2"));
        assertThrows(IllegalArgumentException.class, () -> new DecodedRows<>(6));
    }

    @Test
    void pagesListedAgainReuseRowsUntilTheyChange() {
        try (StorageBackend b = new JdbcStorageBackendFactory().create(ProviderConfig.of("jdbc",
                Map.of("read-cache", "off"), Set.of()), TestPluginContext.denyingEgress(dataDir))) {
            String org = "org_memo";
            for (String id : new String[] {"agent_a", "agent_b"}) {
                b.createIdentity(StorageFixtures.identity(org, id, Map.of("team", id)));
                for (String key : new String[] {"K1", "K2"}) {
                    SecretRef ref = new SecretRef(org, id, key);
                    b.createSecret(StorageFixtures.secret(ref, 1, Map.of("env", "prod"), Map.of("hint", "h")),
                            StorageFixtures.version(ref, 1, "v"));
                }
            }
            b.listIdentities(org, PageRequest.first(10)); // rows decoded once are only noted (the doorkeeper)
            List<Identity> ids = b.listIdentities(org, PageRequest.first(10)).items();
            List<Identity> again = b.listIdentities(org, PageRequest.first(10)).items();
            assertEquals(ids, again);
            assertSame(ids.get(1), again.get(1), "an unchanged row: the same object");
            b.listSecrets(org, "agent_a", PageRequest.first(10));
            List<SecretMetadata> a = b.listSecrets(org, "agent_a", PageRequest.first(10)).items();
            List<SecretMetadata> bs = b.listSecrets(org, "agent_b", PageRequest.first(10)).items();
            assertSame(a.get(0), b.listSecrets(org, "agent_a", PageRequest.first(10)).items().get(0));
            assertEquals("agent_a", a.get(0).ref().identityId());
            assertEquals("agent_b", bs.get(0).ref().identityId());

            Identity renamed = b.updateIdentity(new Identity(org, "agent_b", "renamed", Map.of("team", "x"), true,
                    ids.get(1).createdAt(), StorageFixtures.now(), 0), ids.get(1).revision());
            List<Identity> after = b.listIdentities(org, PageRequest.first(10)).items();
            assertSame(ids.get(0), after.get(0));
            assertEquals(renamed, after.get(1));
            assertEquals("renamed", after.get(1).name());
            assertEquals(true, after.get(1).disabled());

            SecretMetadata k2 = a.get(1);
            SecretMetadata changed = b.updateSecretMetadata(StorageFixtures.withMaps(k2, Map.of("env", "dev"),
                    Map.of("hint", "h2")), k2.revision());
            List<SecretMetadata> a2 = b.listSecrets(org, "agent_a", PageRequest.first(10)).items();
            assertSame(a.get(0), a2.get(0));
            assertEquals(changed, a2.get(1));
            assertNotEquals(k2, a2.get(1));
            assertEquals(Map.of("env", "dev"), a2.get(1).metadata());
        }
    }
}
