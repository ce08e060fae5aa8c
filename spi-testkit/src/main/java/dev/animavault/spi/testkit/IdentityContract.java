package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.assertCode;
import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.now;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static dev.animavault.spi.testkit.StorageFixtures.withCurrent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Identities: create, read, conditional update and delete with their error codes, organization isolation and
 * the cascade from an identity to its secrets. Implemented by {@link StorageBackendContract}.
 */
interface IdentityContract extends StorageContractGroup {
    @Test
    default void identityCreateStoresRevisionOneAndRoundTrips() {
        Identity in = identity(org(), "agent_123", Map.of("team", "payments", "env", "prod"));
        Identity created = backend().createIdentity(in);
        assertEquals(in.withRevision(1), created, "createIdentity returns the stored identity with revision 1");
        assertEquals(Optional.of(created), backend().getIdentity(org(), "agent_123"));
    }

    @Test
    default void identityGetMissingIsEmpty() {
        assertEquals(Optional.empty(), backend().getIdentity(org(), "nobody"));
        backend().createIdentity(identity(org(), "agent_1"));
        assertEquals(Optional.empty(), backend().getIdentity(org(), "agent_2"));
        assertEquals(Optional.empty(), backend().getIdentity(otherOrg(), "agent_1"));
    }

    @Test
    default void identityDuplicateCreateIsAlreadyExists() {
        Identity first = backend().createIdentity(identity(org(), "agent_1", Map.of("v", "first")));
        assertCode(ErrorCode.ALREADY_EXISTS, () -> backend().createIdentity(identity(org(), "agent_1", Map.of("v", "2"))));
        assertEquals(Optional.of(first), backend().getIdentity(org(), "agent_1"), "the failed create changed nothing");
    }

    @Test
    default void identityUpdateReplacesMutableFieldsKeepsCreatedAtAndBumpsRevision() {
        Identity created = backend().createIdentity(identity(org(), "agent_1", Map.of("a", "1")));
        Identity changed = new Identity(org(), "agent_1", "Renamed", Map.of("b", "2"), true,
                created.createdAt().minusSeconds(3600), created.updatedAt().plusSeconds(5), 777);
        Identity updated = backend().updateIdentity(changed, created.revision());
        assertTrue(updated.revision() > created.revision(), "revision increases on update");
        assertEquals("Renamed", updated.name());
        assertEquals(Map.of("b", "2"), updated.metadata(), "metadata replaced, not merged");
        assertTrue(updated.disabled());
        assertEquals(changed.updatedAt(), updated.updatedAt());
        assertEquals(created.createdAt(), updated.createdAt(), "createdAt is not a mutable field");
        assertEquals(Optional.of(updated), backend().getIdentity(org(), "agent_1"));

        Identity again = backend().updateIdentity(new Identity(org(), "agent_1", "Again", Map.of(), false,
                created.createdAt(), now(), 0), updated.revision());
        assertTrue(again.revision() > updated.revision(), "revisions strictly increase");
        assertFalse(again.disabled());
    }

    @Test
    default void identityUpdateWithStaleRevisionIsRevisionConflict() {
        Identity created = backend().createIdentity(identity(org(), "agent_1"));
        Identity updated = backend().updateIdentity(rename(created, "one"), created.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend().updateIdentity(rename(created, "two"), created.revision()));
        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend().updateIdentity(rename(created, "three"), updated.revision() + 10));
        assertEquals(Optional.of(updated), backend().getIdentity(org(), "agent_1"), "failed updates changed nothing");
    }

    @Test
    default void identityUpdateOfMissingIdentityIsIdentityNotFound() {
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend().updateIdentity(identity(org(), "ghost"), 1));
        assertEquals(Optional.empty(), backend().getIdentity(org(), "ghost"), "update never creates");
    }

    @Test
    default void identityDeleteChecksRevisionAndExistence() {
        Identity created = backend().createIdentity(identity(org(), "agent_1"));
        Identity updated = backend().updateIdentity(rename(created, "x"), created.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend().deleteIdentity(org(), "agent_1", created.revision()));
        assertEquals(Optional.of(updated), backend().getIdentity(org(), "agent_1"), "a failed delete keeps the identity");
        backend().deleteIdentity(org(), "agent_1", updated.revision());
        assertEquals(Optional.empty(), backend().getIdentity(org(), "agent_1"));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend().deleteIdentity(org(), "agent_1", updated.revision()));
        assertCode(ErrorCode.IDENTITY_NOT_FOUND, () -> backend().deleteIdentity(org(), "never", 1));
    }

    @Test
    default void identityRecreatedAfterDeleteStartsAtRevisionOne() {
        Identity created = backend().createIdentity(identity(org(), "agent_1"));
        Identity updated = backend().updateIdentity(rename(created, "x"), created.revision());
        backend().deleteIdentity(org(), "agent_1", updated.revision());
        Identity again = backend().createIdentity(identity(org(), "agent_1", Map.of("new", "yes")));
        assertEquals(1, again.revision());
        assertEquals(Map.of("new", "yes"), backend().getIdentity(org(), "agent_1").orElseThrow().metadata());
    }

    @Test
    default void deletingAnIdentityDeletesItsSecrets() {
        Identity doomed = backend().createIdentity(identity(org(), "agent_1"));
        backend().createIdentity(identity(org(), "agent_2"));
        SecretRef a = new SecretRef(org(), "agent_1", "A");
        SecretRef b = new SecretRef(org(), "agent_1", "B");
        SecretRef kept = new SecretRef(org(), "agent_2", "A");
        SecretMetadata ma = backend().createSecret(secret(a), version(a, 1, "a1"));
        backend().addVersion(withCurrent(ma, 2), ma.revision(), version(a, 2, "a2"));
        backend().createSecret(secret(b), version(b, 1, "b1"));
        SecretMetadata mk = backend().createSecret(secret(kept), version(kept, 1, "kept"));

        backend().deleteIdentity(org(), "agent_1", doomed.revision());
        for (SecretRef gone : List.of(a, b)) {
            assertEquals(Optional.empty(), backend().readSecret(gone, OptionalInt.empty()), gone.key());
            assertEquals(Optional.empty(), backend().readSecret(gone, OptionalInt.of(1)), gone.key());
            assertEquals(Optional.empty(), backend().getSecretMetadata(gone), gone.key());
            assertEquals(List.of(), backend().listVersions(gone), gone.key());
        }
        assertEquals(List.of(), backend().listSecrets(org(), "agent_1", PageRequest.first(10)).items());
        assertEquals(List.of(mk), backend().listSecrets(org(), "agent_2", PageRequest.first(10)).items());

        // the same identity id again starts empty
        backend().createIdentity(identity(org(), "agent_1"));
        assertEquals(List.of(), backend().listSecrets(org(), "agent_1", PageRequest.first(10)).items());
        SecretVersion fresh = version(a, 1, "fresh");
        assertEquals(1, backend().createSecret(secret(a), fresh).revision());
        assertEquals(List.of(fresh), backend().listVersions(a));
    }

    @Test
    default void organizationsNeverMix() {
        Identity a = backend().createIdentity(identity(org(), "agent_123", Map.of("org", "a")));
        Identity b = backend().createIdentity(identity(otherOrg(), "agent_123", Map.of("org", "b")));
        SecretRef refA = new SecretRef(org(), "agent_123", "OPENAI_API_KEY");
        SecretRef refB = new SecretRef(otherOrg(), "agent_123", "OPENAI_API_KEY");
        backend().createSecret(secret(refA), version(refA, 1, "value-a"));
        SecretMetadata mb = backend().createSecret(secret(refB), version(refB, 1, "value-b"));

        assertEquals(Map.of("org", "a"), backend().getIdentity(org(), "agent_123").orElseThrow().metadata());
        assertEquals(Map.of("org", "b"), backend().getIdentity(otherOrg(), "agent_123").orElseThrow().metadata());
        assertArrayEquals(utf8("value-a"), backend().readSecret(refA, OptionalInt.empty()).orElseThrow().version().value());
        assertArrayEquals(utf8("value-b"), backend().readSecret(refB, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(List.of(a), backend().listIdentities(org(), PageRequest.first(10)).items());
        assertEquals(List.of(b), backend().listIdentities(otherOrg(), PageRequest.first(10)).items());

        // writes in one organization do not touch the other
        SecretMetadata ma = backend().getSecretMetadata(refA).orElseThrow();
        backend().addVersion(withCurrent(ma, 2), ma.revision(), version(refA, 2, "value-a2"));
        assertEquals(Optional.of(mb), backend().getSecretMetadata(refB));
        assertEquals(1, backend().listVersions(refB).size());
        backend().deleteIdentity(org(), "agent_123", a.revision());
        assertEquals(Optional.of(b), backend().getIdentity(otherOrg(), "agent_123"));
        assertArrayEquals(utf8("value-b"), backend().readSecret(refB, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(Optional.empty(), backend().readSecret(refA, OptionalInt.empty()));
    }

    @Test
    default void identitiesOfOneOrganizationNeverMix() {
        backend().createIdentity(identity(org(), "agent_1"));
        backend().createIdentity(identity(org(), "agent_2"));
        SecretRef one = new SecretRef(org(), "agent_1", "SHARED_KEY");
        SecretRef two = new SecretRef(org(), "agent_2", "SHARED_KEY");
        SecretMetadata m1 = backend().createSecret(secret(one, 1, Map.of("who", "1"), Map.of()), version(one, 1, "one"));
        SecretMetadata m2 = backend().createSecret(secret(two, 1, Map.of("who", "2"), Map.of()), version(two, 1, "two"));
        assertArrayEquals(utf8("one"), backend().readSecret(one, OptionalInt.empty()).orElseThrow().version().value());
        assertArrayEquals(utf8("two"), backend().readSecret(two, OptionalInt.empty()).orElseThrow().version().value());
        assertEquals(List.of(m1), backend().listSecrets(org(), "agent_1", PageRequest.first(10)).items());
        assertEquals(List.of(m2), backend().listSecrets(org(), "agent_2", PageRequest.first(10)).items());
        backend().deleteSecret(one, m1.revision());
        assertEquals(Optional.of(m2), backend().getSecretMetadata(two));
        assertEquals(1, backend().listVersions(two).size());
    }

    // ---------------------------------------------------------------- helpers

    private static Identity rename(Identity i, String name) {
        return new Identity(i.organizationId(), i.id(), name, i.metadata(), i.disabled(), i.createdAt(), now(),
                i.revision());
    }
}
