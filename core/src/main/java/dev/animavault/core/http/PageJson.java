package dev.animavault.core.http;

import dev.animavault.core.credential.CredentialHints;
import dev.animavault.core.credential.CredentialState;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.Page;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The pages of secrets and of identities (issue 19: a 100-item page within a few secret reads' time),
 * written straight to UTF-8 bytes with {@link JsonBytes} instead of a tree of maps serialized by
 * Jackson. The content is that of {@link Views#page} with {@link Views#secretMetadata} and
 * {@link Views#identity}: same fields, same order, same values (the rarely present {@code rotation}
 * object is still written by Jackson); {@code PageJsonTest} compares the two. Thread-safe; the only state
 * is a bounded memo of identity items' bytes ({@link #IDENTITY_ITEMS}).
 */
final class PageJson {
    private PageJson() {
    }

    /** {@code {"items":[secret metadata...],"nextCursor":...}}. */
    static byte[] secrets(Page<SecretMetadata> page) {
        JsonBytes out = new JsonBytes(64 + 320 * page.items().size());
        Instant now = Instant.now();
        out.raw("{\"items\":[");
        boolean first = true;
        for (SecretMetadata s : page.items()) {
            if (!first) {
                out.raw(',');
            }
            first = false;
            out.raw("{\"organizationId\":").string(s.ref().organizationId())
                    .raw(",\"identityId\":").string(s.ref().identityId())
                    .raw(",\"key\":").string(s.ref().key())
                    .raw(",\"type\":").string(s.type())
                    .raw(",\"version\":").number(s.currentVersion());
            String hint = s.attributes().get(CredentialHints.ATTRIBUTE);
            if (hint != null) {
                out.raw(",\"hint\":").string(hint);
            }
            Optional<String> state = CredentialState.of(s);
            if (state.isPresent()) {
                out.raw(",\"state\":").string(state.get());
            }
            out.raw(",\"metadata\":");
            out.stringMap(s.metadata());
            out.raw(",\"createdAt\":").instant(s.createdAt())
                    .raw(",\"updatedAt\":").instant(s.updatedAt());
            Optional<Map<String, Object>> rotation = LifecycleAttributes.view(s, now);
            if (rotation.isPresent()) {
                out.raw(",\"rotation\":").json(Json.write(rotation.get()));
            }
            out.raw('}');
        }
        return cursor(out, page);
    }

    /** {@code {"items":[identities...],"nextCursor":...}}. */
    static byte[] identities(Page<Identity> page) {
        JsonBytes out = new JsonBytes(64 + 256 * page.items().size());
        out.raw("{\"items\":[");
        boolean first = true;
        for (Identity i : page.items()) {
            if (!first) {
                out.raw(',');
            }
            first = false;
            int h = System.identityHashCode(i);
            int slot = h & (IDENTITY_ITEMS.length() - 1);
            Item written = IDENTITY_HASHES[slot] == h ? IDENTITY_ITEMS.getAcquire(slot) : null;
            if (written != null && written.row == i) {
                out.json(written.json);
                continue;
            }
            if (IDENTITY_SEEN[slot] != h) {
                IDENTITY_SEEN[slot] = h; // the first time this object is written: no copy kept (a doorkeeper)
                identity(out, i);
                continue;
            }
            JsonBytes item = new JsonBytes(256);
            identity(item, i);
            byte[] json = item.toByteArray();
            IDENTITY_ITEMS.setRelease(slot, new Item(i, json));
            IDENTITY_HASHES[slot] = h;
            out.json(json);
        }
        return cursor(out, page);
    }

    /**
     * The JSON of identities written lately, by the very object written (identity, not equality): storage and
     * the integrity check hand the same immutable {@link Identity} back for a row that has not changed
     * (storage-jdbc's DecodedRows, the integrity layer's VerifiedRows), so a page listed again copies its
     * items' bytes instead of writing them again (issue 19: the timestamps alone were 8% of an identity
     * page's CPU). An identity's item depends on nothing but its fields. Bounded (2,048 slots, direct
     * mapped); lock-free, entries published with release semantics.
     */
    private static final AtomicReferenceArray<Item> IDENTITY_ITEMS = new AtomicReferenceArray<>(2048);
    /**
     * The identity hash of the object last written once per slot: an item is kept only when its object is
     * written a second time, so pages of rows that are new objects every time (a walk through more rows than
     * the storage memo holds) keep nothing. Racy plain ints on purpose.
     */
    private static final int[] IDENTITY_SEEN = new int[2048];
    /** The identity hash of each slot's item, read before the item (a miss touches one array, not the item). */
    private static final int[] IDENTITY_HASHES = new int[2048];

    private record Item(Object row, byte[] json) {
    }

    private static void identity(JsonBytes out, Identity i) {
        out.raw("{\"id\":").string(i.id())
                .raw(",\"organizationId\":").string(i.organizationId())
                .raw(",\"name\":").string(i.name())
                .raw(",\"metadata\":");
        out.stringMap(i.metadata());
        out.raw(",\"disabled\":").raw(i.disabled() ? "true" : "false")
                .raw(",\"createdAt\":").instant(i.createdAt())
                .raw(",\"updatedAt\":").instant(i.updatedAt())
                .raw('}');
    }

    private static byte[] cursor(JsonBytes out, Page<?> page) {
        out.raw("],\"nextCursor\":");
        if (page.nextCursor().isPresent()) {
            out.string(page.nextCursor().get());
        } else {
            out.raw("null");
        }
        return out.raw('}').toByteArray();
    }
}
