package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.assertCode;
import static dev.animavault.spi.testkit.StorageFixtures.allByteValues;
import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.now;
import static dev.animavault.spi.testkit.StorageFixtures.randomBytes;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.uniqueId;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static dev.animavault.spi.testkit.StorageFixtures.withCurrent;
import static dev.animavault.spi.testkit.StorageFixtures.withMaps;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredSecret;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Secrets and their versions: create and read in one call, conditional writes and their error codes, the
 * current-version pointer, deletion, revisions, listing order, byte-exact values and label maps. Implemented
 * by {@link StorageBackendContract}.
 */
interface SecretContract extends StorageContractGroup {
    @Test
    default void secretCreateThenReadCurrentInOneCall() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "OPENAI_API_KEY");
        SecretMetadata in = secret(ref, 1, Map.of("owner", "team-a"), Map.of("rotation.interval", "30d"));
        SecretVersion v1 = version(ref, 1, "sk-proj-first");
        SecretMetadata created = backend().createSecret(in, v1);
        assertEquals(in.withRevision(1), created, "createSecret returns the stored metadata with revision 1");

        StoredSecret read = backend().readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(created, read.metadata());
        assertEquals(v1, read.version(), "the current version, byte-exact, with createdAt and createdBy");
        assertEquals(Optional.of(created), backend().getSecretMetadata(ref));
        assertEquals(List.of(v1), backend().listVersions(ref));
        assertEquals(read, backend().readSecret(ref, OptionalInt.of(1)).orElseThrow());
    }

    @Test
    default void secretReadOfMissingThingsIsEmpty() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        assertEquals(Optional.empty(), backend().readSecret(ref, OptionalInt.empty()));
        assertEquals(Optional.empty(), backend().getSecretMetadata(ref));
        assertEquals(List.of(), backend().listVersions(ref));
        backend().createSecret(secret(ref), version(ref, 1, "v1"));
        assertEquals(Optional.empty(), backend().readSecret(ref, OptionalInt.of(2)), "version 2 does not exist");
        assertEquals(Optional.empty(), backend().readSecret(new SecretRef(org(), "agent_1", "KEY2"), OptionalInt.empty()));
        assertEquals(Optional.empty(), backend().readSecret(new SecretRef(org(), "agent_2", "KEY"), OptionalInt.empty()));
        assertEquals(Optional.empty(), backend().readSecret(new SecretRef(otherOrg(), "agent_1", "KEY"), OptionalInt.empty()));
    }

    @Test
    default void secretDuplicateCreateIsAlreadyExistsAndKeepsTheFirst() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        SecretVersion v1 = version(ref, 1, "first-value");
        SecretMetadata created = backend().createSecret(secret(ref), v1);
        String canary = "canary-" + uniqueId("value");
        VaultException e = assertCode(ErrorCode.ALREADY_EXISTS,
                () -> backend().createSecret(secret(ref), version(ref, 1, canary)));
        assertNoValueIn(e, canary);
        StoredSecret read = backend().readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(created, read.metadata());
        assertEquals(v1, read.version(), "the first value is kept");
    }

    @Test
    default void secretCreateOnMissingIdentityIsIdentityNotFound() {
        SecretRef ref = new SecretRef(org(), "ghost", "KEY");
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend().createSecret(secret(ref), version(ref, 1, "v")));
        backend().createIdentity(identity(otherOrg(), "ghost"));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend().createSecret(secret(ref), version(ref, 1, "v")));
        assertEquals(Optional.empty(), backend().getSecretMetadata(ref));
    }

    @Test
    default void secretVersionsAddReadExplicitMoveCurrentAndList() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "DATABASE_PASSWORD");
        SecretVersion v1 = version(ref, 1, "pwd-1");
        SecretMetadata m1 = backend().createSecret(secret(ref), v1);

        // a pending version: stored, but the current pointer stays on 1
        SecretVersion v2 = version(ref, 2, "pwd-2");
        SecretMetadata m2 = backend().addVersion(withCurrent(m1, 1), m1.revision(), v2);
        assertTrue(m2.revision() > m1.revision());
        assertEquals(1, m2.currentVersion());
        assertEquals(v1, backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version(), "pending is not current");
        StoredSecret explicit2 = backend().readSecret(ref, OptionalInt.of(2)).orElseThrow();
        assertEquals(v2, explicit2.version());
        assertEquals(m2, explicit2.metadata());

        // promote it
        SecretMetadata m3 = backend().updateSecretMetadata(withCurrent(m2, 2), m2.revision());
        assertTrue(m3.revision() > m2.revision());
        assertEquals(2, m3.currentVersion());
        assertEquals(Optional.of(m3), backend().getSecretMetadata(ref));
        assertEquals(v2, backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version());
        assertEquals(v1, backend().readSecret(ref, OptionalInt.of(1)).orElseThrow().version(), "previous stays readable");

        // add and make current in one step
        SecretVersion v3 = version(ref, 3, "pwd-3");
        SecretMetadata m4 = backend().addVersion(withCurrent(m3, 3), m3.revision(), v3);
        assertEquals(3, m4.currentVersion());
        StoredSecret current = backend().readSecret(ref, OptionalInt.empty()).orElseThrow();
        assertEquals(m4, current.metadata());
        assertEquals(v3, current.version());
        assertEquals(List.of(v1, v2, v3), backend().listVersions(ref), "oldest first");

        // move the pointer back (rollback to a previous version)
        SecretMetadata m5 = backend().updateSecretMetadata(withCurrent(m4, 1), m4.revision());
        assertEquals(v1, backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version());
        assertEquals(m5, backend().readSecret(ref, OptionalInt.of(3)).orElseThrow().metadata());
    }

    @Test
    default void secretAddVersionConflictsAndErrors() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        SecretMetadata m1 = backend().createSecret(secret(ref), version(ref, 1, "v1"));
        SecretMetadata m2 = backend().addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "v2"));

        String canary = "canary-" + uniqueId("value");
        VaultException stale = assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend().addVersion(withCurrent(m1, 3), m1.revision(), version(ref, 3, canary)));
        assertNoValueIn(stale, canary);
        assertCode(ErrorCode.ALREADY_EXISTS,
                () -> backend().addVersion(withCurrent(m2, 2), m2.revision(), version(ref, 2, canary)));
        assertEquals(2, backend().listVersions(ref).size(), "failed adds store nothing");
        assertEquals(Optional.of(m2), backend().getSecretMetadata(ref), "failed adds leave the metadata alone");
        assertArrayEquals(utf8("v2"), backend().readSecret(ref, OptionalInt.of(2)).orElseThrow().version().value());

        SecretRef missing = new SecretRef(org(), "agent_1", "MISSING");
        assertCode(ErrorCode.SECRET_NOT_FOUND,
                () -> backend().addVersion(secret(missing, 2, Map.of(), Map.of()), 1, version(missing, 2, "x")));
        assertEquals(List.of(), backend().listVersions(missing));
    }

    @Test
    default void secretUpdateMetadataReplacesMapsAndChecksRevision() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        SecretMetadata m1 = backend().createSecret(secret(ref, 1, Map.of("a", "1", "b", "2"), Map.of("x", "1")),
                version(ref, 1, "v1"));
        SecretMetadata m2 = backend().updateSecretMetadata(withMaps(m1, Map.of("b", "3"), Map.of()), m1.revision());
        assertEquals(Map.of("b", "3"), m2.metadata(), "labels are replaced, not merged");
        assertEquals(Map.of(), m2.attributes());
        assertEquals(Optional.of(m2), backend().getSecretMetadata(ref));

        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend().updateSecretMetadata(withMaps(m1, Map.of("c", "4"), Map.of()), m1.revision()));
        assertEquals(Optional.of(m2), backend().getSecretMetadata(ref));
        SecretRef missing = new SecretRef(org(), "agent_1", "MISSING");
        assertCode(ErrorCode.SECRET_NOT_FOUND, () -> backend().updateSecretMetadata(secret(missing), 1));
        assertEquals(Optional.empty(), backend().getSecretMetadata(missing), "update never creates");
    }

    @Test
    default void secretDeleteRemovesMetadataAndAllVersions() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        SecretRef sibling = new SecretRef(org(), "agent_1", "KEY_2");
        SecretMetadata m1 = backend().createSecret(secret(ref), version(ref, 1, "v1"));
        SecretMetadata m2 = backend().addVersion(withCurrent(m1, 2), m1.revision(), version(ref, 2, "v2"));
        SecretMetadata s1 = backend().createSecret(secret(sibling), version(sibling, 1, "sibling"));

        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend().deleteSecret(ref, m1.revision()));
        assertTrue(backend().readSecret(ref, OptionalInt.empty()).isPresent(), "a failed delete keeps the secret");

        backend().deleteSecret(ref, m2.revision());
        assertEquals(Optional.empty(), backend().readSecret(ref, OptionalInt.empty()));
        assertEquals(Optional.empty(), backend().readSecret(ref, OptionalInt.of(1)));
        assertEquals(Optional.empty(), backend().getSecretMetadata(ref));
        assertEquals(List.of(), backend().listVersions(ref));
        assertEquals(List.of(s1), backend().listSecrets(org(), "agent_1", PageRequest.first(10)).items());
        assertCode(ErrorCode.SECRET_NOT_FOUND, () -> backend().deleteSecret(ref, m2.revision()));

        // a re-created secret does not inherit the old versions
        SecretVersion fresh = version(ref, 1, "fresh");
        SecretMetadata again = backend().createSecret(secret(ref), fresh);
        assertEquals(1, again.revision());
        assertEquals(List.of(fresh), backend().listVersions(ref));
    }

    @Test
    default void secretRevisionsStrictlyIncreaseAcrossAllWrites() {
        backend().createIdentity(identity(org(), "agent_1"));
        SecretRef ref = new SecretRef(org(), "agent_1", "KEY");
        SecretMetadata m = backend().createSecret(secret(ref), version(ref, 1, "v1"));
        long last = m.revision();
        for (int v = 2; v <= 6; v++) {
            m = backend().addVersion(withCurrent(m, v - 1), m.revision(), version(ref, v, "v" + v));
            assertTrue(m.revision() > last, "addVersion revision " + m.revision() + " > " + last);
            last = m.revision();
            m = backend().updateSecretMetadata(withCurrent(m, v), m.revision());
            assertTrue(m.revision() > last, "updateSecretMetadata revision " + m.revision() + " > " + last);
            last = m.revision();
        }
        assertEquals(last, backend().getSecretMetadata(ref).orElseThrow().revision());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), backend().listVersions(ref).stream().map(SecretVersion::version).toList());
    }

    @Test
    default void listSecretsReturnsMetadataOrderedByKey() {
        backend().createIdentity(identity(org(), "agent_1"));
        List<String> keys = List.of("b", "A", "a", "Z_1", "_x", "0", "a.b", "a-b", "aa");
        for (String k : keys) {
            SecretRef ref = new SecretRef(org(), "agent_1", k);
            backend().createSecret(secret(ref, 1, Map.of("k", k), Map.of()), version(ref, 1, "value-of-" + k));
        }
        Page<SecretMetadata> page = backend().listSecrets(org(), "agent_1", PageRequest.first(100));
        assertEquals(new ArrayList<>(new TreeSet<>(keys)), page.items().stream().map(m -> m.ref().key()).toList(),
                "ordered by key in binary (code point) order");
        page.items().forEach(m -> assertEquals(Map.of("k", m.ref().key()), m.metadata()));
        assertEquals(Optional.empty(), page.nextCursor(), "a page holding everything is the last");
        assertEquals(List.of(), backend().listSecrets(org(), "agent_2", PageRequest.first(10)).items());
    }

    @Test
    default void secretValuesRoundTripByteExact() {
        backend().createIdentity(identity(org(), "agent_1"));
        List<byte[]> values = new ArrayList<>();
        if (contract().supportsBinaryValues()) {
            values.add(allByteValues());
            values.add(new byte[0]);
            values.add(new byte[] {0});
            values.add(new byte[] {(byte) 0xC3, 0x28, 0, 0, (byte) 0xFF}); // invalid UTF-8, trailing zeros
            values.add(randomBytes(64 * 1024));
        }
        values.add(utf8("pässwörd 🔑 \u0000 \r\n\t ' \" \\ ; -- "));
        values.add(utf8(" leading and trailing spaces "));

        SecretRef ref = new SecretRef(org(), "agent_1", "BYTES");
        SecretMetadata m = backend().createSecret(secret(ref), version(ref, 1, values.get(0)));
        for (int i = 1; i < values.size(); i++) {
            m = backend().addVersion(withCurrent(m, i + 1), m.revision(), version(ref, i + 1, values.get(i)));
        }
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), backend().readSecret(ref, OptionalInt.of(i + 1)).orElseThrow().version().value(),
                    "value of version " + (i + 1));
        }
        assertArrayEquals(values.get(values.size() - 1),
                backend().readSecret(ref, OptionalInt.empty()).orElseThrow().version().value());
        List<SecretVersion> listed = backend().listVersions(ref);
        assertEquals(values.size(), listed.size());
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), listed.get(i).value(), "listed value of version " + (i + 1));
        }
    }

    @Test
    default void metadataAndAttributeMapsRoundTripExactly() {
        Map<String, String> tricky = trickyMap();
        Identity id = backend().createIdentity(identity(org(), "agent_1", tricky));
        assertEquals(tricky, backend().getIdentity(org(), "agent_1").orElseThrow().metadata());
        assertEquals(tricky, id.metadata());

        Map<String, String> attributes = new LinkedHashMap<>(tricky);
        attributes.put("rotation", "{\"interval\":\"30d\",\"webhookUrl\":\"https://agent-api.com/rotate\"}");
        SecretRef ref = new SecretRef(org(), "agent_1", "MAPS");
        backend().createSecret(secret(ref, 1, tricky, attributes), version(ref, 1, "v"));
        SecretMetadata read = backend().getSecretMetadata(ref).orElseThrow();
        assertEquals(tricky, read.metadata());
        assertEquals(attributes, read.attributes());
        assertEquals(read, backend().readSecret(ref, OptionalInt.empty()).orElseThrow().metadata());
        assertEquals(List.of(read), backend().listSecrets(org(), "agent_1", PageRequest.first(5)).items());

        SecretMetadata emptied = backend().updateSecretMetadata(withMaps(read, Map.of(), Map.of()), read.revision());
        assertEquals(Map.of(), backend().getSecretMetadata(ref).orElseThrow().metadata());
        assertEquals(Map.of(), backend().getSecretMetadata(ref).orElseThrow().attributes());
        assertEquals(emptied, backend().getSecretMetadata(ref).orElseThrow());
        Identity plain = backend().updateIdentity(new Identity(org(), "agent_1", "n", Map.of(), false, id.createdAt(),
                now(), 0), id.revision());
        assertEquals(Map.of(), backend().getIdentity(org(), "agent_1").orElseThrow().metadata());
        assertEquals(plain, backend().getIdentity(org(), "agent_1").orElseThrow());
    }

    // ---------------------------------------------------------------- helpers

    private static void assertNoValueIn(Throwable e, String value) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(value), "an error message contains the secret value");
            assertFalse(t.toString().contains(value), "an error's toString contains the secret value");
        }
    }

    /** Map entries that break naive encodings: separators, quotes, escapes, Unicode, empty strings. */
    private static Map<String, String> trickyMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("plain", "value");
        m.put("empty", "");
        m.put("", "empty key");
        m.put("with=equals,comma;semi", "a=b,c;d");
        m.put("quotes\"'`", "\"quoted\" 'single'");
        m.put("back\\slash", "C:\\path\\n not a newline");
        m.put("new\nline", "tab\there\r\nCRLF");
        m.put("json{", "{\"k\":[1,2]}");
        m.put("unicode-ключ", "значение 🔑 中文 \u00e9\u0301");
        m.put("control", "\u0000\u0001\u001f\u007f");
        m.put("long", "x".repeat(4096));
        for (int i = 0; i < 40; i++) {
            m.put("label." + i, "v" + i);
        }
        return m;
    }
}
