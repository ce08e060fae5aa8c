package dev.animavault.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The built tarball, as failsafe names it ({@code anima.dist.tarball}, {@code anima.dist.name}). */
final class Distribution {

    private Distribution() {
    }

    /**
     * Unpacks {@code anima-vault-<version>.tar.gz} into {@code into} with {@code tar} and returns the
     * installation directory {@code into/anima-vault-<version>}.
     */
    static Path unpack(Path into) throws IOException, InterruptedException {
        Path tarball = Path.of(System.getProperty("anima.dist.tarball"));
        assertTrue(Files.isRegularFile(tarball), "tarball not built: " + tarball);
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", into.toString())
                .redirectErrorStream(true)
                .start();
        String tarOutput = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS), "tar did not finish");
        assertEquals(0, tar.exitValue(), "tar failed: " + tarOutput);
        return into.resolve(System.getProperty("anima.dist.name"));
    }
}
