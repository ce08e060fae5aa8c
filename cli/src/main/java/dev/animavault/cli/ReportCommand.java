package dev.animavault.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code anima-vault report}: a compliance report over {@code GET /v1/vault/audit/reports}, written as the
 * vault sends it (JSON, CSV or HTML) to a file or to standard output.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a compliance report (json, csv or html) to a file or stdout.")
public final class ReportCommand extends ClientCommand {
    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json, csv or html (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--identity", paramLabel = "ID", description = "Only this identity (default: the organization).")
    String identityId;

    @Option(names = "--from", paramLabel = "INSTANT", description = "Start of the window, e.g. 2026-01-31T12:00:00Z.")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "End of the window (default: now).")
    String to;

    @Option(names = {"-f", "--file"}, paramLabel = "PATH", description = "Write the report here (default: stdout).")
    Path file;

    @Override
    int run(Output out) throws IOException {
        String f = format.toLowerCase(java.util.Locale.ROOT);
        if (!f.equals("json") && !f.equals("csv") && !f.equals("html")) {
            throw new ParameterException(spec.commandLine(), "--format must be json, csv or html");
        }
        byte[] report = options.client().vault().audit().report(f, identityId, instant(from, "--from"),
                instant(to, "--to"));
        if (file == null) {
            // the report as it came (UTF-8 text in every format)
            out.writer().print(new String(report, StandardCharsets.UTF_8));
            out.writer().flush();
            return ExitCodes.OK;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, report);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("file", file.toString());
        doc.put("format", f);
        doc.put("bytes", report.length);
        if (out.json()) {
            out.json(doc);
        } else {
            out.writer().println("wrote " + f + " report (" + report.length + " bytes) to " + file);
        }
        return ExitCodes.OK;
    }

    private Instant instant(String text, String option) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), option + " must be an ISO-8601 instant such as "
                    + "2026-01-31T12:00:00Z");
        }
    }
}
