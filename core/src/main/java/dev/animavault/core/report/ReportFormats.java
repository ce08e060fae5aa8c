package dev.animavault.core.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link ComplianceReport} as JSON, CSV or a self-contained HTML page, streaming to the output.
 *
 * <p>JSON: {@code {"report":{meta...},"tables":{"<name>":[{"<column>":value,...},...],...}}}, values as
 * strings, numbers, booleans or null.
 *
 * <p>CSV (RFC 4180, UTF-8, CRLF): first the line {@code report,<organizationId>,<identityId>,<from>,<to>,
 * <generatedAt>,<eventsScanned>} preceded by its header line; then for each table a line holding only
 * {@code #<table name>}, its header line (column names), its rows, and an empty line. Empty cells are
 * null; booleans are {@code true}/{@code false}. A spreadsheet opens it as one sheet of stacked tables.
 *
 * <p>HTML: one page with inline CSS and an inline SVG bar chart of reads and denied attempts over time,
 * then one table per report table; no scripts and no external resources; printable.
 */
public final class ReportFormats {
    private static final JsonFactory JSON = new JsonFactory();

    private ReportFormats() {
    }

    /** The formats and their media types. */
    public enum Format {
        JSON("application/json"), CSV("text/csv; charset=utf-8"), HTML("text/html; charset=utf-8");

        private final String mediaType;

        Format(String mediaType) {
            this.mediaType = mediaType;
        }

        public String mediaType() {
            return mediaType;
        }

        /** The format named (case-insensitive), or null. */
        public static Format of(String name) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(name)) {
                    return f;
                }
            }
            return null;
        }
    }

    public static void write(ComplianceReport r, Format format, OutputStream out) throws IOException {
        switch (format) {
            case JSON -> json(r, out);
            case CSV -> csv(r, out);
            case HTML -> html(r, out);
            default -> throw new IllegalArgumentException(format.toString());
        }
    }

    static void json(ComplianceReport r, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("report");
            for (Map.Entry<String, Object> e : r.meta().entrySet()) {
                g.writeFieldName(e.getKey());
                value(g, e.getValue());
            }
            g.writeEndObject();
            g.writeObjectFieldStart("tables");
            for (ReportTable t : r.tables()) {
                g.writeArrayFieldStart(t.name());
                for (List<Object> row : t.rows()) {
                    g.writeStartObject();
                    for (int i = 0; i < t.columns().size(); i++) {
                        g.writeFieldName(t.columns().get(i));
                        value(g, row.get(i));
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer n) {
            g.writeNumber(n);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(v.toString());
        }
    }

    static void csv(ComplianceReport r, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        csvLine(w, List.copyOf(r.meta().keySet()).stream().map(k -> (Object) k).toList(), "report");
        csvLine(w, r.meta().values().stream().toList(), "report");
        w.write("\r\n");
        for (ReportTable t : r.tables()) {
            w.write("#" + t.name() + "\r\n");
            csvLine(w, t.columns().stream().map(c -> (Object) c).toList(), null);
            for (List<Object> row : t.rows()) {
                csvLine(w, row, null);
            }
            w.write("\r\n");
        }
        w.flush();
    }

    private static void csvLine(Writer w, List<Object> cells, String first) throws IOException {
        StringBuilder sb = new StringBuilder();
        if (first != null) {
            sb.append(first);
        }
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0 || first != null) {
                sb.append(',');
            }
            Object v = cells.get(i);
            if (v != null) {
                String s = v.toString();
                // a leading = + - @ would be run as a formula by a spreadsheet: quote and prefix it
                if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !(v instanceof Long)) {
                    s = "'" + s;
                }
                if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                        || s.startsWith("#") || s.startsWith("'")) {
                    sb.append('"').append(s.replace("\"", "\"\"")).append('"');
                } else {
                    sb.append(s);
                }
            }
        }
        w.write(sb.append("\r\n").toString());
    }

    static void html(ComplianceReport r, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        String scope = r.identityId() == null ? "organization " + r.organizationId()
                : "identity " + r.identityId() + " (organization " + r.organizationId() + ")";
        w.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                + "<title>Anima Vault compliance report: " + esc(scope) + "</title><style>"
                + "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2430}"
                + "h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}"
                + "table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}"
                + "th,td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}"
                + "th{background:#eef1f6}td.n{text-align:right}.meta td{border:none;padding:.1rem .75rem .1rem 0}"
                + ".legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}"
                + "@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}"
                + "</style></head><body>\n");
        w.write("<h1>Compliance report: " + esc(scope) + "</h1>\n<table class=\"meta\">");
        for (Map.Entry<String, Object> e : r.meta().entrySet()) {
            w.write("<tr><td>" + esc(e.getKey()) + "</td><td>" + esc(e.getValue() == null ? "" : e.getValue().toString())
                    + "</td></tr>");
        }
        w.write("</table>\n<h2>Accesses over time</h2>\n");
        chart(w, r.timeline());
        for (ReportTable t : r.tables()) {
            if (t.name().equals("timeline")) {
                continue;
            }
            w.write("<h2 id=\"" + esc(t.name()) + "\">" + esc(t.title()) + " <small>(" + t.rows().size()
                    + ")</small></h2>\n<table data-table=\"" + esc(t.name()) + "\"><thead><tr>");
            for (String c : t.columns()) {
                w.write("<th>" + esc(c) + "</th>");
            }
            w.write("</tr></thead><tbody>\n");
            for (List<Object> row : t.rows()) {
                w.write("<tr>");
                for (Object v : row) {
                    boolean num = v instanceof Long;
                    w.write(num ? "<td class=\"n\">" : "<td>");
                    w.write(v == null ? "" : esc(v.toString()));
                    w.write("</td>");
                }
                w.write("</tr>\n");
            }
            w.write("</tbody></table>\n");
        }
        w.write("</body></html>\n");
        w.flush();
    }

    private static void chart(Writer w, List<ComplianceReport.TimelineBucket> buckets) throws IOException {
        int width = 900;
        int height = 220;
        int left = 50;
        int bottom = 30;
        long max = 1;
        for (ComplianceReport.TimelineBucket b : buckets) {
            max = Math.max(max, b.reads() + b.denied());
        }
        double bar = (double) (width - left - 10) / Math.max(1, buckets.size());
        double plot = height - bottom - 10;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg id=\"accesses-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"Reads and denied attempts over time\">");
        svg.append("<line x1=\"").append(left).append("\" y1=\"10\" x2=\"").append(left).append("\" y2=\"")
                .append(height - bottom).append("\" stroke=\"#889\"/>");
        svg.append("<line x1=\"").append(left).append("\" y1=\"").append(height - bottom).append("\" x2=\"")
                .append(width - 10).append("\" y2=\"").append(height - bottom).append("\" stroke=\"#889\"/>");
        svg.append("<text x=\"").append(left - 6).append("\" y=\"16\" font-size=\"11\" text-anchor=\"end\">")
                .append(max).append("</text><text x=\"").append(left - 6).append("\" y=\"").append(height - bottom)
                .append("\" font-size=\"11\" text-anchor=\"end\">0</text>");
        for (int i = 0; i < buckets.size(); i++) {
            ComplianceReport.TimelineBucket b = buckets.get(i);
            double x = left + i * bar + bar * 0.1;
            double wBar = Math.max(1, bar * 0.8);
            double hReads = plot * b.reads() / max;
            double hDenied = plot * b.denied() / max;
            double base = height - bottom;
            String title = "<title>" + esc(b.start().toString()) + ": " + b.reads() + " reads, " + b.denied()
                    + " denied</title>";
            if (b.reads() > 0) {
                svg.append(String.format(Locale.ROOT, "<rect class=\"reads\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        + "height=\"%.1f\" fill=\"#3b6fd8\">%s</rect>", x, base - hReads, wBar, hReads, title));
            }
            if (b.denied() > 0) {
                svg.append(String.format(Locale.ROOT, "<rect class=\"denied\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        + "height=\"%.1f\" fill=\"#d8433b\">%s</rect>", x, base - hReads - hDenied, wBar, hDenied, title));
            }
        }
        if (!buckets.isEmpty()) {
            svg.append("<text x=\"").append(left).append("\" y=\"").append(height - 10).append("\" font-size=\"11\">")
                    .append(esc(buckets.get(0).start().toString())).append("</text>");
            svg.append("<text x=\"").append(width - 10).append("\" y=\"").append(height - 10)
                    .append("\" font-size=\"11\" text-anchor=\"end\">")
                    .append(esc(buckets.get(buckets.size() - 1).start().toString())).append("</text>");
        }
        svg.append("</svg>");
        w.write(svg.toString());
        w.write("\n<div class=\"legend\"><span style=\"background:#3b6fd8\"></span>reads"
                + "<span style=\"background:#d8433b\"></span>denied attempts</div>\n");
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
