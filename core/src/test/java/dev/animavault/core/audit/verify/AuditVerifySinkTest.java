package dev.animavault.core.audit.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.config.ProviderSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code anima-vault audit verify --sink jdbc} on the rows a real vault wrote to the jdbc sink (SQLite,
 * loaded from the bundled zip): the untouched trail verifies; an edited row, a deleted row and a cut tail
 * (rows and head) are each named with exit status 3.
 */
@Timeout(120)
class AuditVerifySinkTest {
    private static final String OWNER = TestVault.OWNER_TOKEN;

    @TempDir
    Path root;

    private record Run(int status, String out) {
    }

    private Run verify(String... args) {
        Map<String, String> env = Map.of("ANIMA_VAULT_HOME", root.toString(),
                "ANIMA_VAULT_CONFIG", root.resolve("vault.yaml").toString());
        StringWriter out = new StringWriter();
        int status = new CommandLine(new AuditCommand.Verify(env)).setOut(new PrintWriter(out))
                .setErr(new PrintWriter(out)).execute(args);
        return new Run(status, out.toString());
    }

    private void sql(String statement) throws Exception {
        // the driver directly: DriverManager may have lost it when the plugin's copy was unloaded
        try (Connection c = new org.sqlite.JDBC().connect("jdbc:sqlite:" + root.resolve("data/audit.db"),
                new java.util.Properties());
             Statement st = c.createStatement()) {
            assertTrue(st.executeUpdate(statement) > 0, statement);
        }
    }

    @Test
    void theDatabaseTrailVerifiesAndEachKindOfTamperingIsNamed() throws Exception {
        try (TestVault vault = TestVault.start(root, b -> b.audit(List.of(new ProviderSpec("file", Map.of()),
                new ProviderSpec("jdbc", Map.of()))))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 4; i++) {
                assertEquals(201, vault.post("/v1/vault/secrets", OWNER, TestVault.json(Map.of("identityId", "agent_1",
                        "key", "key_" + i, "value", "value-" + i, "type", "api_key"))).status());
                assertEquals(200, vault.get("/v1/vault/secrets/agent_1/key_" + i, OWNER).status());
            }
        }
        Files.writeString(root.resolve("vault.yaml"), "vault:\n  audit:\n    - type: file\n    - type: jdbc\n");

        Run ok = verify("--sink", "jdbc");
        assertEquals(0, ok.status(), ok.out());
        assertTrue(ok.out().matches("(?s)OK {6}jdbc chain 'default': (\\d+) record\\(s\\).*"), ok.out());
        long records = Long.parseLong(ok.out().replaceAll("(?s).*'default': (\\d+) record.*", "$1"));
        assertTrue(records >= 14, ok.out());

        Run both = verify("--sink", "jdbc", root.resolve("data/audit").toString());
        assertEquals(0, both.status(), both.out());
        assertTrue(both.out().contains("OK      jdbc chain") && both.out().contains("audit.jsonl"), both.out());

        sql("UPDATE audit_event SET actor = 'apikey:someone_else' WHERE chain_key = 'default' AND org_seq = 7");
        Run edited = verify("--sink", "jdbc");
        assertEquals(AuditCommand.EXIT_BROKEN, edited.status(), edited.out());
        assertTrue(edited.out().contains("BROKEN  jdbc chain 'default': at record 7:"), edited.out());
        sql("UPDATE audit_event SET actor = 'apikey:bootstrap' WHERE chain_key = 'default' AND org_seq = 7");
    }

    @Test
    void aDeletedRowAndACutTailAreFound() throws Exception {
        try (TestVault vault = TestVault.start(root, b -> b.audit(List.of(new ProviderSpec("jdbc", Map.of()))))) {
            assertEquals(201, vault.post("/v1/identities", OWNER, "{\"id\":\"agent_1\"}").status());
            for (int i = 0; i < 5; i++) {
                assertEquals(200, vault.get("/v1/identities/agent_1", OWNER).status());
            }
        }
        Files.writeString(root.resolve("vault.yaml"), "vault:\n  audit:\n    - type: jdbc\n");
        assertEquals(0, verify("--sink", "jdbc").status());

        sql("DELETE FROM audit_event WHERE chain_key = 'default' AND org_seq = (SELECT MAX(org_seq) FROM audit_event)");
        Run cut = verify("--sink", "jdbc");
        assertEquals(AuditCommand.EXIT_BROKEN, cut.status(), cut.out());
        assertTrue(cut.out().contains("chain head does not match"), cut.out());

        sql("DELETE FROM audit_chain_head WHERE chain_key = 'default'");
        Run headless = verify("--sink", "jdbc");
        assertEquals(AuditCommand.EXIT_BROKEN, headless.status(), "a deleted head does not hide the cut: " + headless.out());

        sql("DELETE FROM audit_event WHERE chain_key = 'default' AND org_seq = 2");
        Run gap = verify("--sink", "jdbc");
        assertEquals(AuditCommand.EXIT_BROKEN, gap.status(), gap.out());
        assertTrue(gap.out().contains("at record 2:"), gap.out());

        Run none = verify("--sink", "otel");
        assertEquals(1, none.status(), none.out());
        assertTrue(none.out().contains("no sink of type 'otel'"), none.out());
    }
}
