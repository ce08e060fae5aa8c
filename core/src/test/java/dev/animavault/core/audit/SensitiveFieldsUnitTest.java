package dev.animavault.core.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Which parts of an event {@link SensitiveFields} hashes, with real HMAC-SHA256 keys per version. */
class SensitiveFieldsUnitTest {
    private final AtomicInteger active = new AtomicInteger(1);

    private Optional<byte[]> mac(int version, byte[] data) {
        if (version > active.get()) {
            return Optional.empty();
        }
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(("key-of-version-" + version + "-padded-to-32-bytes").getBytes(StandardCharsets.UTF_8),
                    "HmacSHA256"));
            return Optional.of(m.doFinal(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private SensitiveFields fields(boolean addresses) {
        return new SensitiveFields(active::get, () -> active.get() == 1 ? List.of(1) : List.of(2, 1), this::mac,
                addresses);
    }

    private static AuditEvent event(String actor, String address, Map<String, String> details) {
        return new AuditEvent("e1", Instant.EPOCH, "secret.read", AuditOutcome.SUCCESS, "org", "agent_1", "K", 1,
                actor, "req", address, null, details);
    }

    @Test
    void hashesTokenIdsAndCredentialDetailsButNotNamesOrSystemActors() {
        SensitiveFields f = fields(false);
        String h = f.hash("tok_1");
        assertTrue(h.matches("hmac:v1:[0-9a-f]{32}"), h);
        assertEquals("identity:agent_1/" + h, f.hashActor("identity:agent_1/tok_1", 1));
        assertEquals("apikey:" + f.hash("ak_1"), f.hashActor("apikey:ak_1", 1));
        assertEquals("admin:" + f.hash("s_1"), f.hashActor("admin:s_1", 1));
        for (String same : List.of("anonymous", "system:keyring", "identity:agent_1", "apikey:" + h)) {
            assertEquals(same, f.hashActor(same, 1));
        }
        AuditEvent e = f.apply(event("apikey:ak_1", "10.0.0.1", Map.of("apiKey", "ak_2", "permissions", "x",
                "changedBy", "identity:a/tok_9")));
        assertEquals("identity:a/" + f.hash("tok_9"), e.details().get("changedBy"));
        assertEquals("apikey:" + f.hash("ak_1"), e.actor());
        assertEquals(f.hash("ak_2"), e.details().get("apiKey"));
        assertEquals("x", e.details().get("permissions"));
        assertEquals("10.0.0.1", e.remoteAddress(), "addresses in clear unless configured");
        assertEquals("agent_1", e.identityId());
        AuditEvent anonymous = event("anonymous", "10.0.0.1", Map.of());
        assertSame(anonymous, f.apply(anonymous), "nothing to hash: the event itself");
        assertEquals(fields(true).hash("10.0.0.1"), fields(true).apply(anonymous).remoteAddress());
    }

    @Test
    void aRotationHashesNewEventsUnderTheNewVersionAndKeepsEveryForm() {
        SensitiveFields f = fields(false);
        String v1 = f.hashActor("identity:a/tok", 1);
        active.set(2);
        String v2 = f.apply(event("identity:a/tok", null, Map.of())).actor();
        assertTrue(v2.startsWith("identity:a/hmac:v2:"), v2);
        assertEquals(List.of(v2, v1), f.actorForms("identity:a/tok"));
        assertEquals(List.of(f.hash("tok"), f.hash("tok", 1)), f.hashAll("tok"));
    }
}
