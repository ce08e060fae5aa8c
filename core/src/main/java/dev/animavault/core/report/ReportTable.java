package dev.animavault.core.report;

import java.util.List;
import java.util.Objects;

/**
 * One table of a compliance report: a name, column names and rows. Cells are {@code String},
 * {@code Long}, {@code Boolean} or null; every format renders the same tables (JSON: an array of objects
 * per table; CSV: one block per table; HTML: one {@code <table>} per table).
 */
public record ReportTable(String name, String title, List<String> columns, List<List<Object>> rows) {
    public ReportTable {
        Objects.requireNonNull(name, "name is null");
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }
}
