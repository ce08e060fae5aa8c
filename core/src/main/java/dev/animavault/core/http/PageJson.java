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

/**
 * The pages of secrets and of identities (issue 19: a 100-item page within a few secret reads' time),
 * written straight to UTF-8 bytes with {@link JsonBytes} instead of a tree of maps serialized by
 * Jackson. The content is that of {@link Views#page} with {@link Views#secretMetadata} and
 * {@link Views#identity}: same fields, same order, same values (the rarely present {@code rotation}
 * object is still written by Jackson); {@code PageJsonTest} compares the two. Stateless.
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
            map(out, s.metadata());
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
            out.raw("{\"id\":").string(i.id())
                    .raw(",\"organizationId\":").string(i.organizationId())
                    .raw(",\"name\":").string(i.name())
                    .raw(",\"metadata\":");
            map(out, i.metadata());
            out.raw(",\"disabled\":").raw(i.disabled() ? "true" : "false")
                    .raw(",\"createdAt\":").instant(i.createdAt())
                    .raw(",\"updatedAt\":").instant(i.updatedAt())
                    .raw('}');
        }
        return cursor(out, page);
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

    private static void map(JsonBytes out, Map<String, String> map) {
        out.raw('{');
        boolean first = true;
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (!first) {
                out.raw(',');
            }
            first = false;
            out.string(e.getKey()).raw(':').string(e.getValue());
        }
        out.raw('}');
    }
}
