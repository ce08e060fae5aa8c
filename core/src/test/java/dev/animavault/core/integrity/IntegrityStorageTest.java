package dev.animavault.core.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.barrier.Barrier;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link IntegrityStorage} over the real SQLite storage plugin: the upgrade of old rows, keyring rotation. */
class IntegrityStorageTest {
    @TempDir
    Path tmp;
    SqliteFixture fixture;
    StorageBackend raw;
    Barrier barrier;
    final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    final SecretRef ref = new SecretRef("default", "agent_1", "KEY");

    @BeforeEach
    void open() {
        fixture = new SqliteFixture(tmp);
        raw = fixture.raw;
        barrier = fixture.barrier;
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    private void legacyRows() {
        raw.putRecord("orgs", "default", "{}".getBytes(StandardCharsets.UTF_8), 0);
        raw.putRecord("tokens", "t1", "{\"kind\":\"x\"}".getBytes(StandardCharsets.UTF_8), 0);
        raw.createIdentity(new Identity("default", "agent_1", "Agent", Map.of("team", "a"), false, now, now, 0));
        raw.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of("env", "prod"), Map.of(), now, now, 0),
                new SecretVersion(ref, 1, barrier.seal(ref, 1, new byte[] {1, 2, 3}), now, "test"));
    }

    @Test
    void rowsWrittenBeforeAreMacdOnceThenRowsWithoutMacAreRefused() {
        legacyRows();
        List<IntegrityStorage.Violation> audited = new ArrayList<>();
        IntegrityStorage s = IntegrityStorage.wrap(raw, barrier, List.of("orgs", "tokens"));
        s.onViolation(audited::add);
        assertFalse(s.strict());
        assertTrue(s.getSecretMetadata(ref).isPresent(), "legacy rows read before the upgrade");
        assertEquals(4, s.upgrade()); // two records, one identity, one secret's metadata
        assertTrue(s.strict());
        assertEquals(0, s.upgrade());
        assertEquals("{\"kind\":\"x\"}", new String(s.getRecord("tokens", "t1").orElseThrow().value(), StandardCharsets.UTF_8));
        assertEquals(Map.of("team", "a"), s.getIdentity("default", "agent_1").orElseThrow().metadata(), "label stripped");
        assertEquals(1, s.readSecret(ref, OptionalInt.empty()).orElseThrow().metadata().currentVersion());

        // a row written without the layer (no MAC) is refused from now on, and a second node sees the marker
        raw.putRecord("tokens", "t2", "{}".getBytes(StandardCharsets.UTF_8), 0);
        SqliteFixture.refused(() -> s.getRecord("tokens", "t2"));
        IntegrityStorage other = IntegrityStorage.wrap(raw, barrier, List.of("orgs", "tokens"));
        assertTrue(other.strict());
        SqliteFixture.refused(() -> other.getRecord("tokens", "t2"));
        SecretMetadata m = raw.getSecretMetadata(ref).orElseThrow();
        Map<String, String> stripped = new java.util.HashMap<>(m.attributes());
        stripped.remove(IntegrityStorage.FIELD);
        raw.updateSecretMetadata(new SecretMetadata(ref, m.type(), m.currentVersion(), m.metadata(), stripped,
                m.createdAt(), m.updatedAt(), m.revision()), m.revision());
        SqliteFixture.refused(() -> s.readSecret(ref, OptionalInt.empty()));
        assertTrue(audited.stream().anyMatch(v -> "t2".equals(v.key().substring(v.key().indexOf('/') + 1))));
        assertTrue(audited.stream().anyMatch(v -> "KEY".equals(v.key()) && "no MAC".equals(v.reason())));
    }

    @Test
    void keyringRotationKeepsMacsVerifiableAndTheReMacLetsOldKeysGo() {
        IntegrityStorage s = IntegrityStorage.wrap(raw, barrier, List.of("orgs", "tokens"));
        s.upgrade();
        s.putRecord("orgs", "default", "{}".getBytes(StandardCharsets.UTF_8), 0);
        s.createIdentity(new Identity("default", "agent_1", "Agent", Map.of(), false, now, now, 0));
        s.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of(), Map.of(), now, now, 0),
                new SecretVersion(ref, 1, barrier.seal(ref, 1, new byte[] {1}), now, "test"));
        s.putRecord("tokens", "t1", "v".getBytes(StandardCharsets.UTF_8), 0);
        int old = barrier.activeKeyId();
        barrier.rotateDataKey(old);
        assertTrue(s.getRecord("tokens", "t1").isPresent(), "MAC under the old key still verifies");
        assertTrue(s.readSecret(ref, OptionalInt.empty()).isPresent());
        assertEquals(4, s.rewriteStale());
        assertEquals(0, s.rewriteStale());
        barrier.removeDataKeys(Set.of(old));
        assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), s.getRecord("tokens", "t1").orElseThrow().value());
        assertTrue(s.readSecret(ref, OptionalInt.empty()).isPresent());
        assertTrue(s.getIdentity("default", "agent_1").isPresent());
    }

    @Test
    void aDeletedRecordPutBackIsARefusedReplay() {
        IntegrityStorage s = IntegrityStorage.wrap(raw, barrier, List.of("tokens"));
        s.upgrade();
        s.putRecord("tokens", "t1", "v1".getBytes(StandardCharsets.UTF_8), 0);
        byte[] asStored = raw.getRecord("tokens", "t1").orElseThrow().value();
        long rev = s.getRecord("tokens", "t1").orElseThrow().revision();
        s.deleteRecord("tokens", "t1", rev);
        raw.putRecord("tokens", "t1", asStored, 0); // put back byte for byte: its MAC is valid
        SqliteFixture.refused(() -> s.getRecord("tokens", "t1"));
        // a record copied under another key fails its MAC
        s.putRecord("tokens", "t3", "v3".getBytes(StandardCharsets.UTF_8), 0);
        raw.putRecord("tokens", "t4", raw.getRecord("tokens", "t3").orElseThrow().value(), 0);
        SqliteFixture.refused(() -> s.getRecord("tokens", "t4"));
    }
}
