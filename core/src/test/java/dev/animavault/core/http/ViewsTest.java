package dev.animavault.core.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.animavault.core.credential.CredentialHints;
import dev.animavault.core.credential.CredentialState;
import dev.animavault.core.rotation.LifecycleAttributes;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The write path's metadata answer written straight to bytes equals the map view Jackson writes. */
class ViewsTest {
    private static final Instant CREATED = Instant.parse("2026-12-06T08:00:00.123456789Z");
    private static final Instant UPDATED = Instant.parse("2026-12-06T09:30:00Z");

    private static SecretMetadata meta(Map<String, String> metadata, Map<String, String> attributes) {
        return new SecretMetadata(new SecretRef("org_1", "agent-7", "OPENAI_API_KEY"), "api_key", 3, metadata,
                attributes, CREATED, UPDATED, 5);
    }

    private static void assertSameAsMapView(SecretMetadata s) {
        byte[] expected = Json.write(Views.secretMetadata(s));
        byte[] ours = Views.secretMetadataJson(s);
        assertArrayEquals(expected, ours, () -> new String(expected, StandardCharsets.UTF_8) + "\n"
                + new String(ours, StandardCharsets.UTF_8));
    }

    @Test
    void plainSecretWithoutMetadataOrAttributes() {
        assertSameAsMapView(meta(Map.of(), Map.of()));
    }

    @Test
    void hintStateAndMetadataThatNeedEscaping() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("provider", "openai");
        metadata.put("note", "quote \" backslash \\ slash / tab \t newline \n nul \u0000 del \u007f");
        metadata.put("caf\u00e9", "snow \u2603 sep \u2028");
        metadata.put("empty", "");
        Map<String, String> attributes = new HashMap<>();
        attributes.put(CredentialHints.ATTRIBUTE, "sk-p...x7Qa");
        attributes.put(CredentialState.ATTRIBUTE, "reauthorization_required");
        attributes.put("other.attribute", "not in the view");
        assertSameAsMapView(meta(metadata, attributes));
        assertSameAsMapView(meta(metadata, Map.of(CredentialHints.ATTRIBUTE, "sk-p...x7Qa")));
    }

    @Test
    void aSecretWithARotationMemberTakesTheMapPath() throws Exception {
        SecretMetadata s = meta(Map.of("a", "b"), Map.of(LifecycleAttributes.EXPIRES_AT, "2027-01-01T00:00:00Z"));
        assertSameAsMapView(s);
        assertEquals(true, Json.MAPPER.readTree(Views.secretMetadataJson(s)).has("rotation"));
    }

    @Test
    void supplementaryCharactersAreTheSameJsonText() throws Exception {
        SecretMetadata s = meta(Map.of("emoji", "key \uD83D\uDD11"), Map.of());
        assertEquals(Json.MAPPER.readTree(Json.write(Views.secretMetadata(s))),
                Json.MAPPER.readTree(Views.secretMetadataJson(s)));
    }
}
