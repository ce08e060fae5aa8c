package dev.animavault.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.animavault.core.TestVault;
import dev.animavault.spi.Page;
import dev.animavault.spi.audit.AuditEvent;
import dev.animavault.spi.audit.AuditOutcome;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML compliance report rendered by headless Chromium (the distribution's {@code chromium} package;
 * {@code .ci/run} installs it): the rendered DOM holds the chart's bars and every table, and the screenshot
 * shows the chart's colors. Skipped only outside CI when no Chromium is installed. With
 * {@code -Danima.report.screenshot=<file.png>} the screenshot is also copied there (how
 * {@code docs/compliance-report.png} was made).
 */
@Timeout(180)
class ReportRenderTest {
    /** The last seven whole days (UTC), so the secrets the test creates now are not younger than the report. */
    private static final Instant TO = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    private static final Instant FROM = TO.minus(Duration.ofDays(7));
    private static final int READS_RGB = 0x3b6fd8;
    private static final int DENIED_RGB = 0xd8433b;

    @TempDir
    Path tmp;

    static Optional<String> chromium() {
        for (String c : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, c))) {
                    return Optional.of(Path.of(dir, c).toString());
                }
            }
        }
        return Optional.empty();
    }

    /** A week of reads by two agents, office hours, a few denials and a night read from a new address. */
    private static List<AuditEvent> week() {
        List<AuditEvent> events = new ArrayList<>();
        int n = 0;
        for (int d = 0; d < 7; d++) {
            for (int h = 8; h < 19; h++) {
                int reads = 3 + (h * 7 + d * 3) % 9;
                for (int i = 0; i < reads; i++) {
                    String agent = "agent_" + (1 + i % 2);
                    boolean denied = (i + h + d) % 17 == 0;
                    Instant at = FROM.plus(Duration.ofDays(d)).plus(Duration.ofHours(h)).plusSeconds(60L * i);
                    events.add(new AuditEvent(String.format("ev_%06d", n++), at, "secret.read",
                            denied ? AuditOutcome.DENIED : AuditOutcome.SUCCESS, "default", agent,
                            denied ? "OTHER_KEY" : "OPENAI_API_KEY", 1, "identity:" + agent + "/tok_" + agent, "req",
                            "10.0.0." + (1 + i % 2), denied ? "permission_denied" : null, Map.of()));
                }
            }
        }
        events.add(new AuditEvent(String.format("ev_%06d", n), FROM.plus(Duration.ofDays(5)).plus(Duration.ofHours(3)),
                "secret.read", AuditOutcome.SUCCESS, "default", "agent_1", "OPENAI_API_KEY", 1,
                "identity:agent_1/tok_agent_1", "req", "203.0.113.50", null, Map.of()));
        events.sort((a, b) -> b.timestamp().compareTo(a.timestamp()));
        return events;
    }

    @Test
    void chromiumRendersTheChartAndEveryTable() throws Exception {
        Optional<String> chromium = chromium();
        if (chromium.isEmpty() && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI run without chromium (.ci/run installs the distribution's package)");
        }
        assumeTrue(chromium.isPresent(), "chromium is not installed");

        Path html = tmp.resolve("report.html");
        ComplianceReport report;
        try (TestVault vault = TestVault.start(tmp.resolve("vault"))) {
            for (String id : List.of("agent_1", "agent_2")) {
                vault.post("/v1/identities", TestVault.OWNER_TOKEN, "{\"id\":\"" + id + "\"}");
                vault.post("/v1/vault/secrets", TestVault.OWNER_TOKEN, TestVault.json(Map.of("identityId", id,
                        "key", "OPENAI_API_KEY", "value", "sk-example-" + id, "type", "api_key")));
            }
            List<AuditEvent> events = week();
            report = new ReportGenerator(vault.node().storage(), q -> Page.last(events), List::of,
                    Clock.systemUTC()).generate("default", Optional.empty(), FROM, TO);
        }
        try (OutputStream out = Files.newOutputStream(html)) {
            ReportFormats.html(report, out);
        }

        Path png = tmp.resolve("report.png");
        List<String> common = List.of(chromium.get(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + tmp.resolve("profile"));
        List<String> shot = new ArrayList<>(common);
        shot.addAll(List.of("--window-size=1200,1500", "--screenshot=" + png, html.toUri().toString()));
        run(shot, tmp.resolve("shot.log"));
        List<String> dump = new ArrayList<>(common);
        dump.addAll(List.of("--dump-dom", html.toUri().toString()));
        String dom = run(dump, tmp.resolve("dom.log"));

        assertTrue(dom.contains("<svg id=\"accesses-chart\""), "the chart is in the rendered DOM");
        assertTrue(dom.contains("fill=\"#3b6fd8\"") && dom.contains("fill=\"#d8433b\""), "bars for reads and denials");
        for (ReportTable t : report.tables()) {
            if (!t.name().equals("timeline")) {
                assertTrue(dom.contains("data-table=\"" + t.name() + "\""), "table " + t.name() + " rendered");
            }
        }
        assertTrue(dom.contains("203.0.113.50"), "the new address is listed");

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1200, image.getWidth());
        int reads = 0;
        int denied = 0;
        int ink = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                reads += near(rgb, READS_RGB) ? 1 : 0;
                denied += near(rgb, DENIED_RGB) ? 1 : 0;
                ink += rgb != 0xffffff ? 1 : 0;
            }
        }
        assertTrue(reads > 2_000, "the chart's read bars are painted: " + reads + " pixels");
        assertTrue(denied > 50, "the chart's denial bars are painted: " + denied + " pixels");
        assertTrue(ink > 50_000, "text and tables are painted: " + ink + " pixels");

        String copy = System.getProperty("anima.report.screenshot");
        if (copy != null && !copy.isBlank()) {
            Files.copy(png, Path.of(copy), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean near(int rgb, int target) {
        return Math.abs((rgb >> 16) - (target >> 16)) < 12 && Math.abs(((rgb >> 8) & 0xff) - ((target >> 8) & 0xff)) < 12
                && Math.abs((rgb & 0xff) - (target & 0xff)) < 12;
    }

    /** Runs Chromium, bounded in time; returns its standard output. */
    private static String run(List<String> command, Path log) throws Exception {
        Path out = Files.createTempFile(log.getParent(), "out", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s: " + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(log));
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
