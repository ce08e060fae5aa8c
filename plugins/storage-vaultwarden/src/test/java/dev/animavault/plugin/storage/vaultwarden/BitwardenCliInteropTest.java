package dev.animavault.plugin.storage.vaultwarden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.animavault.spi.storage.Identity;
import dev.animavault.spi.storage.SecretMetadata;
import dev.animavault.spi.storage.SecretRef;
import dev.animavault.spi.storage.SecretVersion;
import dev.animavault.spi.storage.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves with the official Bitwarden CLI that the backend's crypto is Bitwarden's, both directions: what
 * the vault writes, {@code bw get item} reads (password, history, custom fields); what a person changes
 * with {@code bw edit item}, the vault reads next (as a new current version, older versions still
 * readable). Runs a handful of CLI invocations only (the CLI is slow to start).
 */
class BitwardenCliInteropTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dataDir;
    @TempDir
    Path cliHome;

    @Test
    void vaultWritesBitwardenReadsAndHumanEditsAreReadBack() throws Exception {
        BitwardenCli bw = new BitwardenCli(cliHome, TestTls.get().pem());
        try (TestVault vault = new TestVault(); VaultwardenStorageBackend backend = vault.backend(dataDir)) {
            Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            backend.createIdentity(new Identity("acme", "agent_123", "Agent 123", Map.of(), false, t, t, 0));
            SecretRef ref = new SecretRef("acme", "agent_123", "OPENAI_API_KEY");
            SecretMetadata m1 = backend.createSecret(new SecretMetadata(ref, "api_key", 1, Map.of("team", "payments"),
                    Map.of("rotation.interval", "30d"), t, t, 0), version(ref, 1, "sk-proj-first", t));
            SecretMetadata m2 = backend.addVersion(new SecretMetadata(ref, "api_key", 2, m1.metadata(), m1.attributes(),
                    t, t, m1.revision()), m1.revision(), version(ref, 2, "sk-proj-second", t));

            // vault -> Bitwarden
            bw.run(null, "config", "server", vault.server.url());
            bw.session(bw.run(null, "login", vault.account.email, TestVault.PASSWORD, "--raw"));
            JsonNode item = MAPPER.readTree(bw.run(null, "get", "item", "OPENAI_API_KEY"));
            assertEquals("OPENAI_API_KEY", item.path("name").asText());
            assertEquals(vault.organizationId, item.path("organizationId").asText());
            assertEquals("sk-proj-second", item.path("login").path("password").asText(), "current value as password");
            assertEquals("sk-proj-first", item.path("passwordHistory").path(0).path("password").asText(),
                    "previous version in password history");
            Map<String, String> fields = fields(item);
            assertEquals("payments", fields.get("label:team"));
            assertEquals("30d", fields.get("attr:rotation.interval"));
            assertEquals("api_key", fields.get("anima:type"));
            assertEquals("sk-proj-first", fields.get("anima:value:1"));
            assertEquals("anima-vault://acme/agent_123/OPENAI_API_KEY",
                    item.path("login").path("uris").path(0).path("uri").asText(), "URI (written with its checksum)");

            // a person edits the password (and adds a note field) in Bitwarden -> vault
            ObjectNode edited = item.deepCopy();
            ((ObjectNode) edited.get("login")).put("password", "sk-human-edited");
            ((com.fasterxml.jackson.databind.node.ArrayNode) edited.get("fields")).addObject()
                    .put("name", "owner").put("value", "alice").put("type", 0);
            String encoded = bw.run(edited.toString(), "encode");
            bw.run(null, "edit", "item", item.path("id").asText(), encoded);

            StoredSecret read = backend.readSecret(ref, OptionalInt.empty()).orElseThrow();
            assertEquals("sk-human-edited", utf8(read.version().value()), "the human's edit is what the agent reads");
            assertEquals(3, read.metadata().currentVersion());
            assertEquals(ItemMapper.HUMAN_AUTHOR, read.version().createdBy());
            assertTrue(read.metadata().revision() > m2.revision(), "a human edit counts as a write");
            assertEquals("sk-proj-first", utf8(backend.readSecret(ref, OptionalInt.of(1)).orElseThrow().version().value()));
            assertEquals("sk-proj-second", utf8(backend.readSecret(ref, OptionalInt.of(2)).orElseThrow().version().value()));
            assertEquals(Map.of("team", "payments"), read.metadata().metadata());

            // the vault rotates again on top of the human's version; Bitwarden sees the whole history
            SecretMetadata m4 = backend.addVersion(new SecretMetadata(ref, "api_key", 4, read.metadata().metadata(),
                    read.metadata().attributes(), t, t, read.metadata().revision()), read.metadata().revision(),
                    version(ref, 4, "sk-proj-fourth", t));
            assertEquals(List.of(1, 2, 3, 4), backend.listVersions(ref).stream().map(SecretVersion::version).toList());
            bw.run(null, "sync");
            JsonNode after = MAPPER.readTree(bw.run(null, "get", "item", item.path("id").asText()));
            assertEquals("sk-proj-fourth", after.path("login").path("password").asText());
            List<String> history = new java.util.ArrayList<>();
            after.path("passwordHistory").forEach(h -> history.add(h.path("password").asText()));
            assertEquals(List.of("sk-human-edited", "sk-proj-second", "sk-proj-first"), history);
            assertEquals("alice", fields(after).get("owner"), "fields people add are kept");
            assertArrayEquals(utf8("sk-proj-fourth"), backend.readSecret(ref, OptionalInt.empty()).orElseThrow()
                    .version().value());
            assertEquals(m4.revision(), backend.getSecretMetadata(ref).orElseThrow().revision());
            assertEquals(List.of(), vault.server.unknownRoutes(), "routes the CLI called that the test server lacks");
        }
    }

    private static Map<String, String> fields(JsonNode item) {
        Map<String, String> out = new HashMap<>();
        item.path("fields").forEach(f -> out.put(f.path("name").asText(), f.path("value").asText()));
        return out;
    }

    private static SecretVersion version(SecretRef ref, int n, String value, Instant t) {
        return new SecretVersion(ref, n, utf8(value), t, "apikey:ak_test");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
