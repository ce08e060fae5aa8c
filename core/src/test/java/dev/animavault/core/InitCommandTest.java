package dev.animavault.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.animavault.core.cli.Main;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code anima-vault init --json} in a child JVM: one JSON object on stdout, written by Jackson. */
class InitCommandTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void initJsonPrintsOneJsonObjectWithTheOrganizationAndTheKey() throws Exception {
        Path plugins = TestVault.pluginsDir(tmp);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "init", "--json", "--organization", "acme.corp", "--name", "Acme \"Corp\" \\ Ltd")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ANIMA_VAULT_HOME", tmp.toString());
        pb.environment().put("ANIMA_VAULT_PLUGINS_DIR", plugins.toString());
        pb.environment().remove("ANIMA_VAULT_CONFIG");
        pb.environment().remove("ANIMA_VAULT_ROOT_KEY");
        pb.environment().remove("ANIMA_VAULT_BOOTSTRAP_TOKEN");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        List<String> jsonLines = new ArrayList<>(out.lines().filter(l -> l.startsWith("{")).toList());
        assertEquals(1, jsonLines.size(), out);
        JsonNode printed = TestVault.JSON.readTree(jsonLines.get(0));
        assertEquals(2, printed.size(), printed.toString());
        assertEquals("acme.corp", printed.path("organizationId").asText());
        assertTrue(printed.path("apiKey").asText().startsWith("avk_"), printed.toString());
    }
}
