package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.animavault.cli.ClientCommands;
import dev.animavault.core.TestVault;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code anima-vault root-key status|rotate} over HTTP against a running vault. */
class RootKeyCliTest {
    @TempDir
    Path tmp;

    private record Run(int status, JsonNode json, String err) {
    }

    private static Run run(TestVault vault, Path tokenFile, String... args) throws Exception {
        @CommandLine.Command(name = "anima-vault")
        final class Root {
        }
        CommandLine cli = ClientCommands.addTo(new CommandLine(new Root()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--addr", vault.uri("").toString(), "--token-file", tokenFile.toString(), "-o",
                "json"}, 0, all, args.length, 6);
        int status = cli.execute(all);
        String text = out.toString().trim();
        return new Run(status, text.isEmpty() ? null : new ObjectMapper().readTree(text), err.toString());
    }

    @Test
    @Timeout(60)
    void statusAndRotate() throws Exception {
        try (TestVault vault = TestVault.start(tmp.resolve("v"))) {
            Path token = tmp.resolve("token");
            Files.writeString(token, TestVault.OWNER_TOKEN);
            Run status = run(vault, token, "root-key", "status");
            assertEquals(0, status.status(), status.err());
            assertEquals("file", status.json().get("type").asText());
            Run rotated = run(vault, token, "root-key", "rotate");
            assertEquals(0, rotated.status(), rotated.err());
            assertNotEquals(status.json().get("keyId").asText(), rotated.json().get("keyId").asText());
            assertTrue(rotated.json().get("nodeOpensKeyring").asBoolean());
            Run bad = run(vault, token, "root-key", "rotate", "--type", "no-such-provider");
            assertEquals(6, bad.status(), "refused input: " + bad.err());
        }
    }
}
