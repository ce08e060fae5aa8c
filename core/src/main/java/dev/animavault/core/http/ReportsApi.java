package dev.animavault.core.http;

import dev.animavault.core.report.ComplianceReport;
import dev.animavault.core.report.ReportFormats;
import dev.animavault.core.report.ReportService;
import dev.animavault.core.service.RequestContext;
import dev.animavault.spi.ErrorCode;
import dev.animavault.spi.VaultException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * {@code GET /v1/vault/audit/reports?identityId=&organizationId=&from=&to=&format=json|csv|html}: a
 * compliance report (see {@link dev.animavault.core.report}). Needs {@code reports:read} (today: an
 * organization API key).
 */
final class ReportsApi implements HttpService {
    private final Api api;
    private final ReportService reports;

    ReportsApi(Api api, ReportService reports) {
        this.api = api;
        this.reports = reports;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::report);
    }

    private void report(ServerRequest req, ServerResponse res) {
        Optional<String> identityId = req.query().first("identityId").asOptional();
        String formatName = req.query().first("format").asOptional().orElse("json");
        ReportFormats.Format format = ReportFormats.Format.of(formatName);
        RequestContext ctx = api.authenticate(req, "audit.report", identityId.orElse(null), null);
        if (format == null) {
            throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter 'format' must be json, csv or html");
        }
        ComplianceReport report = reports.generate(ctx, req.query().first("organizationId").asOptional().orElse(null),
                identityId, instant(req, "from"), instant(req, "to"));
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, format.mediaType());
        res.header(Api.NO_STORE);
        if (format != ReportFormats.Format.HTML) {
            res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"anima-vault-report-"
                    + report.organizationId().replaceAll("[^A-Za-z0-9._-]", "_") + "." + format.name().toLowerCase() + "\"");
        }
        try (OutputStream out = res.outputStream()) {
            ReportFormats.write(report, format, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Instant> instant(ServerRequest req, String name) {
        return req.query().first(name).asOptional().map(s -> {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw new VaultException(ErrorCode.INVALID_ARGUMENT, "query parameter '" + name
                        + "' must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
            }
        });
    }
}
