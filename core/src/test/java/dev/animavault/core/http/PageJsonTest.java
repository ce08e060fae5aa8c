package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.core.credential.CredentialHints;
import dev.animavault.core.credential.CredentialState;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.Page;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The pages written straight to bytes ({@link PageJson}) hold what the generic views ({@link Views#page}
 * of {@link Views#secretMetadata} / {@link Views#identity}) serialized by Jackson give: same fields in the
 * same order, same values; for ASCII and BMP text, the same bytes.
 */
class PageJsonTest {
    private static final Instant T1 = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final Instant T2 = Instant.parse("2026-02-03T04:05:06Z");
    private static final String AWKWARD = "q\"b\\s/t\tn\nc\u0001 é € \uD83D\uDE00 \u2028";

    private static String jackson(Object tree) {
        return new String(Json.write(tree), StandardCharsets.UTF_8);
    }

    /**
     * The direct bytes parsed and written again by Jackson: the same text as {@link #jackson} when the
     * content is the same, field order included (the direct writer puts characters beyond the BMP as
     * four UTF-8 bytes where Jackson escapes them as a surrogate pair, like the secret read does).
     */
    private static String direct(byte[] json) throws Exception {
        return new String(Json.write(Json.MAPPER.readTree(json)), StandardCharsets.UTF_8);
    }

    @Test
    void secretPagesMatchTheGenericView() throws Exception {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("team", "payments");
        metadata.put(AWKWARD, AWKWARD);
        Map<String, String> rich = new LinkedHashMap<>();
        rich.put(CredentialHints.ATTRIBUTE, "sk-…" + AWKWARD);
        rich.put(CredentialState.ATTRIBUTE, "reauthorization_required");
        rich.put(LifecycleAttributes.INTERVAL, "P30D");
        rich.put(LifecycleAttributes.WEBHOOK_URL, "http://127.0.0.1:9/hook");
        rich.put(LifecycleAttributes.MODE, "webhook");
        rich.put(LifecycleAttributes.EXPIRES_AT, "2099-01-01T00:00:00Z");
        rich.put(LifecycleAttributes.NEXT_ROTATION_AT, "2098-01-01T00:00:00Z");
        rich.put(LifecycleAttributes.PREVIOUS_VERSION, "2");
        rich.put(LifecycleAttributes.GRACE_UNTIL, "2098-01-02T00:00:00Z");
        Map<String, String> expiring = Map.of(LifecycleAttributes.EXPIRES_AT, "2001-01-01T00:00:00Z");
        List<SecretMetadata> items = List.of(
                new SecretMetadata(new SecretRef("org", "id-1", "plain"), "api_key", 1, Map.of(), Map.of(), T1, T2, 1),
                new SecretMetadata(new SecretRef("org", "id-1", AWKWARD), "oauth2", 7, metadata, rich, T1, T2, 9),
                new SecretMetadata(new SecretRef("org", "id-1", "old"), "password", 3, metadata, expiring, T2, T2, 3));
        for (Page<SecretMetadata> page : List.of(Page.<SecretMetadata>last(List.of()), Page.last(items),
                new Page<>(items, Optional.of("b2xk" + AWKWARD)))) {
            assertEquals(jackson(Views.page(page, Views::secretMetadata)), direct(PageJson.secrets(page)));
        }
    }

    @Test
    void identityPagesMatchTheGenericView() throws Exception {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("owner", AWKWARD);
        metadata.put("env", "prod");
        List<Identity> items = List.of(
                new Identity("org", "id-1", "agent one", Map.of(), false, T1, T2, 1),
                new Identity("org", "id-2", AWKWARD, metadata, true, T2, T1, 4));
        for (Page<Identity> page : List.of(Page.<Identity>last(List.of()), Page.last(items),
                new Page<>(items, Optional.of("aWQtMg")))) {
            assertEquals(jackson(Views.page(page, Views::identity)), direct(PageJson.identities(page)));
        }
        Page<Identity> bmp = Page.last(List.of(new Identity("org", "id-3", "q\"\\\t\u0001 é € \u2028",
                Map.of("k", "v/\n"), false, T1, T2, 1)));
        assertEquals(jackson(Views.page(bmp, Views::identity)),
                new String(PageJson.identities(bmp), StandardCharsets.UTF_8), "byte for byte");
    }

    /** Items written lately are copied for the same object, written afresh for any other (never stale). */
    @Test
    void identityItemsWrittenAgainAreTheSameBytes() throws Exception {
        List<Identity> items = new java.util.ArrayList<>();
        for (int k = 0; k < 3000; k++) { // more than the memo's slots: some are evicted, all stay right
            items.add(new Identity("org", "id-" + k, AWKWARD + k, Map.of("k", "v" + k), k % 2 == 0, T1, T2, k));
        }
        Page<Identity> page = Page.last(items);
        byte[] first = PageJson.identities(page);
        assertEquals(jackson(Views.page(page, Views::identity)), direct(first));
        for (int round = 0; round < 2; round++) {
            assertArrayEquals(first, PageJson.identities(page));
        }
        List<Identity> changed = new java.util.ArrayList<>();
        for (Identity i : items) {
            changed.add(new Identity(i.organizationId(), i.id(), i.name() + "!", i.metadata(), !i.disabled(),
                    i.createdAt(), T1, i.revision()));
        }
        Page<Identity> other = Page.last(changed);
        assertEquals(jackson(Views.page(other, Views::identity)), direct(PageJson.identities(other)));
        List<Identity> equalCopies = items.stream().map(i -> new Identity(i.organizationId(), i.id(), i.name(),
                i.metadata(), i.disabled(), i.createdAt(), i.updatedAt(), i.revision())).toList();
        assertArrayEquals(first, PageJson.identities(Page.last(equalCopies)));
    }
}
