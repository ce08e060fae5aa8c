package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.plugin.storage.vaultwarden.crypto.Kdf;
import dev.animavault.plugin.storage.vaultwarden.crypto.SymmetricKey;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An item deleted for good on the server (by a person, behind the backend's back) is "not found" to the
 * backend at once, before its index is rebuilt: for reads, writes and creating the name again. Run against
 * both answers a server gives for a missing cipher: Vaultwarden's 400 "Cipher doesn't exist" and
 * Bitwarden's 404.
 */
class VaultwardenGoneItemTest {
    @TempDir
    Path dataDir;

    @ParameterizedTest
    @EnumSource(BitwardenTestServer.Flavour.class)
    void aSecretDeletedForGoodIsNotFoundAndCanBeCreatedAgain(BitwardenTestServer.Flavour flavour) throws Exception {
        try (TestVault vault = new TestVault(Kdf.pbkdf2(5000), flavour);
             VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            backend.createIdentity(identity("org", "agent_1"));
            SecretRef ref = new SecretRef("org", "agent_1", "DB_PASSWORD");
            SecretMetadata m1 = backend.createSecret(metadata(ref, 1, 0), version(ref, 1, "one"));
            vault.server.purgeCipher(cipherNamed(vault, ref.key()));

            assertTrue(backend.readSecret(ref, OptionalInt.empty()).isEmpty());
            assertTrue(backend.getSecretMetadata(ref).isEmpty());
            VaultException put = assertThrows(VaultException.class,
                    () -> backend.addVersion(metadata(ref, 2, m1.revision()), m1.revision(), version(ref, 2, "two")));
            assertEquals(ErrorCode.SECRET_NOT_FOUND, put.errorCode(), put.getMessage());
            VaultException delete = assertThrows(VaultException.class, () -> backend.deleteSecret(ref, m1.revision()));
            assertEquals(ErrorCode.SECRET_NOT_FOUND, delete.errorCode(), delete.getMessage());

            backend.createSecret(metadata(ref, 1, 0), version(ref, 1, "again"));
            assertEquals("again", new String(backend.readSecret(ref, OptionalInt.empty()).orElseThrow().version()
                    .value(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @EnumSource(BitwardenTestServer.Flavour.class)
    void anIdentityNoteDeletedForGoodIsNotFoundAndCanBeCreatedAgain(BitwardenTestServer.Flavour flavour)
            throws Exception {
        try (TestVault vault = new TestVault(Kdf.pbkdf2(5000), flavour);
             VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            Identity created = backend.createIdentity(identity("org", "agent_1"));
            vault.server.purgeCipher(cipherNamed(vault, "Anima identity: agent_1"));

            assertFalse(backend.getIdentity("org", "agent_1").isPresent());
            Identity disabled = new Identity("org", "agent_1", created.name(), Map.of(), true, created.createdAt(),
                    Instant.now(), created.revision());
            VaultException update = assertThrows(VaultException.class,
                    () -> backend.updateIdentity(disabled, created.revision()));
            assertEquals(ErrorCode.IDENTITY_NOT_FOUND, update.errorCode(), update.getMessage());

            backend.createIdentity(identity("org", "agent_1"));
            assertTrue(backend.getIdentity("org", "agent_1").isPresent());
        }
    }

    /** The id of the (only) cipher of the organization with this name, found as a person would. */
    private static String cipherNamed(TestVault vault, String name) {
        SymmetricKey orgKey = vault.server.organizationKey(vault.organizationId);
        return vault.server.cipherIds(vault.organizationId).stream()
                .filter(id -> CipherCodec.decrypt(vault.server.cipher(id), orgKey).name.equals(name))
                .findFirst().orElseThrow();
    }

    private static Identity identity(String org, String id) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new Identity(org, id, "Agent " + id, Map.of(), false, t, t, 0);
    }

    private static SecretMetadata metadata(SecretRef ref, int current, long revision) {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new SecretMetadata(ref, "password", current, Map.of(), Map.of(), t, t, revision);
    }

    private static SecretVersion version(SecretRef ref, int n, String value) {
        return new SecretVersion(ref, n, value.getBytes(StandardCharsets.UTF_8), Instant.now(), "test");
    }
}
