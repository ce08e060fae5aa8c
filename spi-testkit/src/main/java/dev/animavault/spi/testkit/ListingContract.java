package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageFixtures.identity;
import static dev.animavault.spi.testkit.StorageFixtures.secret;
import static dev.animavault.spi.testkit.StorageFixtures.uniqueId;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static dev.animavault.spi.testkit.StorageFixtures.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.StoredRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Cursor pagination of identities, secrets and records: binary key order, no gaps or duplicates at any page
 * size, cursors that stay valid when items are added or removed between pages, no cursor on an empty listing.
 * Implemented by {@link StorageBackendContract}.
 */
interface ListingContract extends StorageContractGroup {
    @Test
    default void identitiesPaginateWithoutGapsOrDuplicates() {
        List<String> ids = IntStream.range(0, 23).mapToObj(i -> String.format("agent_%03d", i)).toList();
        ids.forEach(id -> backend().createIdentity(identity(org(), id)));
        backend().createIdentity(identity(otherOrg(), "agent_005x"));
        for (int limit : new int[] {1, 5, 7, 23, 100}) {
            assertEquals(ids, pageThrough(p -> backend().listIdentities(org(), p), Identity::id, limit, () -> { }),
                    "all identities in order with page size " + limit);
        }
    }

    @Test
    default void secretsPaginateWithoutGapsOrDuplicates() {
        backend().createIdentity(identity(org(), "agent_1"));
        backend().createIdentity(identity(org(), "agent_2"));
        List<String> keys = IntStream.range(0, 17).mapToObj(i -> "KEY_" + (char) ('A' + i)).toList();
        for (String k : keys) {
            SecretRef ref = new SecretRef(org(), "agent_1", k);
            backend().createSecret(secret(ref), version(ref, 1, k));
        }
        SecretRef elsewhere = new SecretRef(org(), "agent_2", "KEY_AA");
        backend().createSecret(secret(elsewhere), version(elsewhere, 1, "x"));
        for (int limit : new int[] {1, 4, 17, 1000}) {
            assertEquals(keys, pageThrough(p -> backend().listSecrets(org(), "agent_1", p), m -> m.ref().key(), limit,
                    () -> { }), "all secrets in order with page size " + limit);
        }
    }

    @Test
    default void recordsPaginateWithoutGapsOrDuplicates() {
        List<String> keys = IntStream.range(0, 31).mapToObj(i -> String.format("rec/%02d", i)).toList();
        keys.forEach(k -> backend().putRecord(namespace(), k, utf8(k), 0));
        backend().putRecord(uniqueId("ns"), "rec/05a", utf8("x"), 0);
        for (int limit : new int[] {1, 6, 10, 31, 32}) {
            assertEquals(keys, pageThrough(p -> backend().listRecords(namespace(), p), StoredRecord::key, limit, () -> { }),
                    "all records in order with page size " + limit);
        }
    }

    @Test
    default void identityCursorStaysValidWhenItemsAreAddedAndRemoved() {
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("id_%02d", 2 * i)).toList();
        even.forEach(id -> backend().createIdentity(identity(org(), id)));
        // first page: id_00..id_08; then change the listing around and behind the cursor
        List<String> seen = pageThrough(p -> backend().listIdentities(org(), p), Identity::id, 5, () -> {
            backend().createIdentity(identity(org(), "id_01"));    // behind the cursor: not returned
            backend().createIdentity(identity(org(), "id_09"));    // ahead: returned
            backend().createIdentity(identity(org(), "id_99"));    // at the end: returned
            deleteIdentity("id_08");                           // the cursor's own item
            deleteIdentity("id_10");                           // ahead: not returned
        });
        assertEquals(expectedAfterChanges(even, "id_"), seen);
    }

    @Test
    default void secretCursorStaysValidWhenItemsAreAddedAndRemoved() {
        backend().createIdentity(identity(org(), "agent_1"));
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("K_%02d", 2 * i)).toList();
        even.forEach(this::createSecretNamed);
        List<String> seen = pageThrough(p -> backend().listSecrets(org(), "agent_1", p), m -> m.ref().key(), 5, () -> {
            createSecretNamed("K_01");
            createSecretNamed("K_09");
            createSecretNamed("K_99");
            SecretRef k08 = new SecretRef(org(), "agent_1", "K_08");
            backend().deleteSecret(k08, backend().getSecretMetadata(k08).orElseThrow().revision());
            SecretRef k10 = new SecretRef(org(), "agent_1", "K_10");
            backend().deleteSecret(k10, backend().getSecretMetadata(k10).orElseThrow().revision());
        });
        assertEquals(expectedAfterChanges(even, "K_"), seen);
    }

    @Test
    default void recordCursorStaysValidWhenItemsAreAddedAndRemoved() {
        List<String> even = IntStream.range(0, 20).mapToObj(i -> String.format("r_%02d", 2 * i)).toList();
        even.forEach(k -> backend().putRecord(namespace(), k, utf8(k), 0));
        List<String> seen = pageThrough(p -> backend().listRecords(namespace(), p), StoredRecord::key, 5, () -> {
            backend().putRecord(namespace(), "r_01", utf8("new"), 0);
            backend().putRecord(namespace(), "r_09", utf8("new"), 0);
            backend().putRecord(namespace(), "r_99", utf8("new"), 0);
            backend().deleteRecord(namespace(), "r_08", backend().getRecord(namespace(), "r_08").orElseThrow().revision());
            backend().deleteRecord(namespace(), "r_10", backend().getRecord(namespace(), "r_10").orElseThrow().revision());
        });
        assertEquals(expectedAfterChanges(even, "r_"), seen);
    }

    @Test
    default void emptyListingsHaveNoCursor() {
        Page<Identity> identities = backend().listIdentities(org(), PageRequest.first(10));
        assertEquals(List.of(), identities.items());
        assertEquals(Optional.empty(), identities.nextCursor());
        Page<StoredRecord> records = backend().listRecords(namespace(), PageRequest.first(10));
        assertEquals(List.of(), records.items());
        assertEquals(Optional.empty(), records.nextCursor());
        Page<SecretMetadata> secrets = backend().listSecrets(org(), "nobody", PageRequest.first(10));
        assertEquals(List.of(), secrets.items());
        assertEquals(Optional.empty(), secrets.nextCursor());
    }

    // ---------------------------------------------------------------- helpers

    private void deleteIdentity(String id) {
        backend().deleteIdentity(org(), id, backend().getIdentity(org(), id).orElseThrow().revision());
    }

    private void createSecretNamed(String key) {
        SecretRef ref = new SecretRef(org(), "agent_1", key);
        backend().createSecret(secret(ref), version(ref, 1, key));
    }

    /** The listing after the changes the cursor tests make to 00, 02, ..., 38 after a first page of 5. */
    private static List<String> expectedAfterChanges(List<String> even, String prefix) {
        List<String> expected = new ArrayList<>(even);
        expected.removeAll(List.of(prefix + "08", prefix + "10"));
        expected.add(prefix + "09");
        expected.add(prefix + "99");
        expected.sort(null);
        expected.add(4, prefix + "08"); // it was on the first page, before it was deleted
        return expected;
    }

    /**
     * Follows cursors from the first page to the last and returns the keys seen in order, checking
     * page sizes, order and the absence of duplicates. {@code afterFirstPage} runs once, between the
     * first and the second page.
     */
    private static <T> List<String> pageThrough(Function<PageRequest, Page<T>> list, Function<T, String> key,
                                                int limit, Runnable afterFirstPage) {
        List<String> seen = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        Optional<String> cursor = Optional.empty();
        for (int pageNo = 0; ; pageNo++) {
            if (pageNo > 10_000) {
                fail("pagination does not end");
            }
            Page<T> page = list.apply(new PageRequest(limit, cursor));
            assertTrue(page.items().size() <= limit, "page of " + page.items().size() + " items exceeds limit " + limit);
            for (T item : page.items()) {
                String k = key.apply(item);
                assertTrue(unique.add(k), "item " + k + " returned twice");
                if (!seen.isEmpty()) {
                    assertTrue(seen.get(seen.size() - 1).compareTo(k) < 0,
                            "item " + k + " after " + seen.get(seen.size() - 1) + " is out of order");
                }
                seen.add(k);
            }
            if (page.nextCursor().isEmpty()) {
                return seen;
            }
            assertFalse(page.items().isEmpty(), "an empty page must not carry a cursor");
            if (pageNo == 0) {
                afterFirstPage.run();
            }
            cursor = page.nextCursor();
        }
    }
}
