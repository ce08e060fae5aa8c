package dev.animavault.plugin.rootkey.pkcs11;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.ProviderConfig;
import dev.animavault.spi.VaultException;
import dev.animavault.spi.rootkey.RootKeyProvider;
import dev.animavault.spi.testkit.RootKeyProviderContract;
import dev.animavault.spi.testkit.TestPluginContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pkcs11 provider passes the root key provider contract against a SoftHSM2 token that
 * {@code src/test/scripts/softhsm-token.sh} creates in {@code target/softhsm} ({@code SOFTHSM2_CONF} is set
 * by the POM). Without SoftHSM2 installed the test is skipped, except in CI ({@code CI=true}), where it fails.
 */
class Pkcs11RootKeyProviderTest extends RootKeyProviderContract {
    private static final List<Path> LIBRARIES = List.of(Path.of("/usr/lib/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"), Path.of("/usr/local/lib/softhsm/libsofthsm2.so"));
    private static final String PIN = "4321";
    private static Path library;
    private static String slot;
    private static Path pinFile;

    private final String label = "t" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void createToken() throws Exception {
        library = LIBRARIES.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (library == null || !onPath("softhsm2-util")) {
            if (ci) {
                throw new IllegalStateException("SoftHSM2 is not installed (apt-get install -y softhsm2); CI must run "
                        + "the pkcs11 root key tests");
            }
            Assumptions.abort("SoftHSM2 is not installed (apt-get install -y softhsm2)");
        }
        String conf = System.getenv("SOFTHSM2_CONF");
        assertTrue(conf != null, "SOFTHSM2_CONF is set by the POM");
        Path dir = Path.of(conf).getParent();
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Process p = new ProcessBuilder("bash", Path.of("src/test/scripts/softhsm-token.sh").toAbsolutePath().toString(),
                dir.toString(), "anima-test", "87654321", PIN).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "softhsm2-util finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        slot = out.lines().reduce((a, b) -> b).orElseThrow();
        pinFile = dir.resolve("pin");
        Files.writeString(pinFile, PIN + "\n");
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    private RootKeyProvider create(Map<String, String> overrides) {
        Map<String, String> raw = new HashMap<>(Map.of("library", library.toString(), "slot", slot, "pin-file",
                pinFile.toString(), "key-label", label));
        raw.putAll(overrides);
        Pkcs11RootKeyProviderFactory f = new Pkcs11RootKeyProviderFactory();
        try {
            return f.create(ProviderConfig.validate(f, raw, "vault.root-key.config"),
                    TestPluginContext.denyingEgress(Files.createTempDirectory("p11")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    protected RootKeyProvider newProvider() {
        return create(Map.of());
    }

    @Override
    protected RootKeyProvider sameHome() {
        return create(Map.of());
    }

    @Override
    protected String unknownKeyId() {
        return "p11-0000000000000000";
    }

    @Test
    void aWrongPinOrAMissingModuleIsAConfigurationError() throws IOException {
        Path wrong = Files.createTempFile("pin", "");
        Files.writeString(wrong, "0000");
        VaultException e = assertThrows(VaultException.class, () -> create(Map.of("pin-file", wrong.toString())));
        assertEquals(ErrorCode.CONFIGURATION, e.errorCode());
        assertTrue(!e.getMessage().contains("0000"), "no PIN in messages");
        assertEquals(ErrorCode.CONFIGURATION, assertThrows(VaultException.class,
                () -> create(Map.of("library", "/nonexistent/lib.so"))).errorCode());
    }
}
