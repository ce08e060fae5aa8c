package dev.animavault.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.animavault.core.TestVault;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StorageChange;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memo of identities secret creates are made for (issue 19): kept, dropped on every change it is told of. */
class WriteIdentitiesTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path tmp;

    private static Identity identity(String org, String id, boolean disabled) {
        Instant t = Instant.parse("2026-12-06T12:00:00Z");
        return new Identity(org, id, id, Map.of(), disabled, t, t, 1);
    }

    @Test
    void aReadIdentityIsKeptUntilAChangeNamesItOrAnyChangeIsReported() {
        WriteIdentities memo = new WriteIdentities();
        AtomicInteger reads = new AtomicInteger();
        Identity a = identity("org", "agent_a", false);
        Identity b = identity("org", "agent_b", false);
        assertSame(a, memo.get("org", "agent_a", () -> { reads.incrementAndGet(); return a; }));
        assertSame(a, memo.get("org", "agent_a", () -> { reads.incrementAndGet(); return a; }));
        assertEquals(1, reads.get(), "the second create did not read storage");

        memo.get("org", "agent_b", () -> b);
        memo.changed(StorageChange.secret(new SecretRef("org", "agent_a", "K")));
        memo.changed(StorageChange.identity("other_org", "agent_a"));
        assertEquals(2, memo.size(), "changes to other things keep both");

        Identity disabled = identity("org", "agent_a", true);
        memo.changed(StorageChange.identity("org", "agent_a"));
        assertSame(disabled, memo.get("org", "agent_a", () -> { reads.incrementAndGet(); return disabled; }));
        assertEquals(2, reads.get(), "read again after its change was reported");

        memo.forget("org", "agent_a");
        assertEquals(1, memo.size(), "this node's own change drops it");
        memo.changed(StorageChange.any());
        assertEquals(0, memo.size(), "ANY drops everything");
    }

    @Test
    void aReadThatRacedAChangeIsNotKeptNorIsAMissingIdentity() {
        WriteIdentities memo = new WriteIdentities();
        Identity stale = identity("org", "agent_a", false);
        // another node disabled the identity while this read ran: what it read may predate that
        assertSame(stale, memo.get("org", "agent_a", () -> {
            memo.changed(StorageChange.identity("org", "agent_a"));
            return stale;
        }));
        assertEquals(0, memo.size());
        assertSame(stale, memo.get("org", "agent_a", () -> {
            memo.changed(StorageChange.any());
            return stale;
        }));
        assertEquals(0, memo.size());

        VaultException e = assertThrows(VaultException.class, () -> memo.get("org", "nobody", () -> {
            throw new VaultException(ErrorCode.IDENTITY_NOT_FOUND, "identity nobody does not exist");
        }));
        assertEquals(ErrorCode.IDENTITY_NOT_FOUND, e.errorCode());
        assertEquals(0, memo.size());
    }

    @Test
    void anIdentityDisabledOnThisNodeRefusesTheNextCreateAtOnce() {
        try (TestVault vault = TestVault.start(tmp)) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K1")).status());
            assertEquals(201, vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K2")).status());
            assertEquals(200, vault.delete("/v1/identities/agent_1", OWNER).status());
            TestVault.Response refused = vault.post("/v1/vault/secrets", OWNER, secret("agent_1", "K3"));
            assertEquals("identity_disabled", refused.code(), refused.body());
            assertEquals(404, vault.get("/v1/vault/secrets/agent_1/K3", OWNER).status(), "nothing created");
            assertEquals("identity_not_found", vault.post("/v1/vault/secrets", OWNER, secret("agent_2", "K")).code());
        }
    }

    private static String secret(String identity, String key) {
        return TestVault.json(Map.of("identityId", identity, "key", key, "value", "value-of-" + key));
    }
}
