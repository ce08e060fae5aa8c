package dev.animavault.core.rootkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.core.TestVault;
import dev.animavault.core.cli.ClientCli;
import dev.animavault.core.cli.ClientCli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code anima-vault root-key status|rotate} over HTTP against a running vault. */
class RootKeyCliTest {
    @TempDir
    Path tmp;

    private static Run run(TestVault vault, Path tokenFile, String... args) throws Exception {
        return ClientCli.run(vault, tokenFile, null, args);
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
