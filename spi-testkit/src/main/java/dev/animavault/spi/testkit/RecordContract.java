package dev.animavault.spi.testkit;

import static dev.animavault.spi.testkit.StorageContractSupport.assertCode;
import static dev.animavault.spi.testkit.StorageContractSupport.keysOf;
import static dev.animavault.spi.testkit.StorageFixtures.allByteValues;
import static dev.animavault.spi.testkit.StorageFixtures.randomBytes;
import static dev.animavault.spi.testkit.StorageFixtures.uniqueId;
import static dev.animavault.spi.testkit.StorageFixtures.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.Page;
import dev.animavault.spi.PageRequest;
import dev.animavault.spi.storage.StoredRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Core's records: create, conditional replace and delete with their error codes, namespace isolation, listing
 * order and byte-exact values. Implemented by {@link StorageBackendContract}.
 */
interface RecordContract extends StorageContractGroup {
    @Test
    default void recordCreateStoresRevisionOneAndRoundTrips() {
        byte[] value = utf8("{\"token\":\"hash\"}");
        StoredRecord created = backend().putRecord(namespace(), "tok_1", value, 0);
        assertEquals(1, created.revision());
        assertEquals(namespace(), created.namespace());
        assertEquals("tok_1", created.key());
        assertArrayEquals(value, created.value());
        assertEquals(Optional.of(created), backend().getRecord(namespace(), "tok_1"),
                "the returned record is what is stored, updatedAt included");
        assertEquals(Optional.empty(), backend().getRecord(namespace(), "tok_2"));
    }

    @Test
    default void recordDuplicateCreateIsAlreadyExists() {
        StoredRecord created = backend().putRecord(namespace(), "k", utf8("one"), 0);
        assertCode(ErrorCode.ALREADY_EXISTS, () -> backend().putRecord(namespace(), "k", utf8("two"), 0));
        assertEquals(Optional.of(created), backend().getRecord(namespace(), "k"));
    }

    @Test
    default void recordReplaceChecksRevisionAndExistence() {
        StoredRecord r1 = backend().putRecord(namespace(), "k", utf8("one"), 0);
        StoredRecord r2 = backend().putRecord(namespace(), "k", utf8("two"), r1.revision());
        assertTrue(r2.revision() > r1.revision());
        assertArrayEquals(utf8("two"), backend().getRecord(namespace(), "k").orElseThrow().value());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend().putRecord(namespace(), "k", utf8("three"), r1.revision()));
        assertCode(ErrorCode.REVISION_CONFLICT,
                () -> backend().putRecord(namespace(), "k", utf8("three"), r2.revision() + 5));
        assertEquals(Optional.of(r2), backend().getRecord(namespace(), "k"), "failed replaces changed nothing");
        assertCode(ErrorCode.NOT_FOUND, () -> backend().putRecord(namespace(), "missing", utf8("x"), 3));
        assertEquals(Optional.empty(), backend().getRecord(namespace(), "missing"), "a replace never creates");
    }

    @Test
    default void recordDeleteChecksRevisionAndExistence() {
        StoredRecord r1 = backend().putRecord(namespace(), "k", utf8("one"), 0);
        StoredRecord r2 = backend().putRecord(namespace(), "k", utf8("two"), r1.revision());
        assertCode(ErrorCode.REVISION_CONFLICT, () -> backend().deleteRecord(namespace(), "k", r1.revision()));
        assertEquals(Optional.of(r2), backend().getRecord(namespace(), "k"));
        backend().deleteRecord(namespace(), "k", r2.revision());
        assertEquals(Optional.empty(), backend().getRecord(namespace(), "k"));
        assertCode(ErrorCode.NOT_FOUND, () -> backend().deleteRecord(namespace(), "k", r2.revision()));
        assertEquals(1, backend().putRecord(namespace(), "k", utf8("again"), 0).revision(), "re-created at revision 1");
    }

    @Test
    default void recordNamespacesAreIsolated() {
        String other = uniqueId("ns");
        backend().putRecord(namespace(), "shared", utf8("mine"), 0);
        backend().putRecord(other, "shared", utf8("theirs"), 0);
        backend().putRecord(other, "only-there", utf8("x"), 0);
        assertArrayEquals(utf8("mine"), backend().getRecord(namespace(), "shared").orElseThrow().value());
        assertArrayEquals(utf8("theirs"), backend().getRecord(other, "shared").orElseThrow().value());
        assertEquals(List.of("shared"), keysOf(backend().listRecords(namespace(), PageRequest.first(10)), StoredRecord::key));
        StoredRecord mine = backend().getRecord(namespace(), "shared").orElseThrow();
        backend().deleteRecord(namespace(), "shared", mine.revision());
        assertTrue(backend().getRecord(other, "shared").isPresent(), "deleting in one namespace leaves the other");
        assertEquals(Optional.empty(), backend().getRecord(namespace(), "only-there"));
    }

    @Test
    default void listRecordsOrderedByKeyInBinaryOrder() {
        List<String> keys = List.of("b", "A", "a", "Z", "_", "0", "a/b", "a.b", "a-b", "aa", "tok:1");
        for (String k : keys) {
            backend().putRecord(namespace(), k, utf8(k), 0);
        }
        Page<StoredRecord> page = backend().listRecords(namespace(), PageRequest.first(PageRequest.MAX_LIMIT));
        assertEquals(new ArrayList<>(new TreeSet<>(keys)), keysOf(page, StoredRecord::key));
        page.items().forEach(r -> assertArrayEquals(utf8(r.key()), r.value()));
        assertEquals(Optional.empty(), page.nextCursor());
        assertEquals(List.of(), backend().listRecords(uniqueId("ns"), PageRequest.first(10)).items());
    }

    @Test
    default void recordValuesRoundTripByteExact() {
        List<byte[]> values = new ArrayList<>();
        if (contract().supportsBinaryValues()) {
            values.add(allByteValues());
            values.add(new byte[0]);
            values.add(new byte[] {0, 0, 0});
            values.add(randomBytes(100_000));
        }
        values.add(utf8("text 🔑 \u0000 ' \" \\"));
        for (int i = 0; i < values.size(); i++) {
            StoredRecord r = backend().putRecord(namespace(), "k" + i, values.get(i), 0);
            assertArrayEquals(values.get(i), r.value());
            assertArrayEquals(values.get(i), backend().getRecord(namespace(), "k" + i).orElseThrow().value(), "record k" + i);
        }
        List<StoredRecord> listed = backend().listRecords(namespace(), PageRequest.first(100)).items();
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), listed.get(i).value(), "listed record k" + i);
        }
        StoredRecord replaced = backend().putRecord(namespace(), "k0", new byte[0], 1);
        assertArrayEquals(new byte[0], backend().getRecord(namespace(), "k0").orElseThrow().value());
        assertEquals(2, replaced.revision());
    }
}
